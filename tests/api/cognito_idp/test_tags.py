"""Tags on user pools: TagResource, UntagResource, ListTagsForResource by ARN, UserPoolTags."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.support.factories import make_pool
from tests.support.live import Server


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    err = exc.value.response["Error"]
    return err["Code"], err["Message"]


def tags_of(server: Server, pool: dict[str, Any]) -> dict[str, str]:
    listed = server.admin().list_tags_for_resource(ResourceArn=pool["Arn"])["Tags"]
    described = server.admin().describe_user_pool(UserPoolId=pool["Id"])["UserPool"]
    assert described["UserPoolTags"] == listed
    return dict(listed)


def test_tag_list_untag(server: Server) -> None:
    admin = server.admin()
    pool = make_pool(server, UserPoolTags={"team": "identity"})
    assert tags_of(server, pool) == {"team": "identity"}

    admin.tag_resource(ResourceArn=pool["Arn"], Tags={"env": "prod", "team": "platform"})
    assert tags_of(server, pool) == {"team": "platform", "env": "prod"}

    admin.untag_resource(ResourceArn=pool["Arn"], TagKeys=["team", "not-there"])
    assert tags_of(server, pool) == {"env": "prod"}

    admin.untag_resource(ResourceArn=pool["Arn"], TagKeys=["env"])
    assert tags_of(server, pool) == {}


def test_tags_are_per_pool(server: Server) -> None:
    admin = server.admin()
    first, second = make_pool(server), make_pool(server)
    admin.tag_resource(ResourceArn=first["Arn"], Tags={"only": "first"})
    assert tags_of(server, first) == {"only": "first"}
    assert tags_of(server, second) == {}


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_Nope12345",
        # a pool that exists, named with another account, region or service
        "arn:aws:cognito-idp:us-east-1:123456789012:userpool/{id}",
        "arn:aws:cognito-idp:eu-west-1:000000000000:userpool/{id}",
        "arn:aws:cognito-identity:us-east-1:000000000000:userpool/{id}",
        "arn:aws:cognito-idp:us-east-1:000000000000:identitypool/{id}",
    ],
)
def test_unknown_resource(server: Server, arn: str) -> None:
    pool = make_pool(server)
    arn = arn.format(id=pool["Id"])
    admin = server.admin()
    for call in (
        lambda: admin.list_tags_for_resource(ResourceArn=arn),
        lambda: admin.tag_resource(ResourceArn=arn, Tags={"a": "b"}),
        lambda: admin.untag_resource(ResourceArn=arn, TagKeys=["a"]),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error(exc)[0] == "ResourceNotFoundException"
    assert tags_of(server, pool) == {}


def test_malformed_arn(server: Server) -> None:
    with pytest.raises(ClientError) as exc:
        server.admin().list_tags_for_resource(ResourceArn="not-an-arn-but-long-enough")
    code, message = error(exc)
    assert code == "InvalidParameterException"
    assert "resourceArn" in message


def test_tag_limits_change_nothing(server: Server) -> None:
    admin = server.admin()
    pool = make_pool(server, UserPoolTags={f"k{i}": "v" for i in range(49)})
    with pytest.raises(ClientError) as exc:
        admin.tag_resource(ResourceArn=pool["Arn"], Tags={"k49": "v", "k50": "v"})
    assert error(exc)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        admin.tag_resource(ResourceArn=pool["Arn"], Tags={"aws:created-by": "me"})
    assert error(exc)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        admin.tag_resource(ResourceArn=pool["Arn"], Tags={"k" * 129: "v"})
    assert error(exc)[0] == "InvalidParameterException"
    assert tags_of(server, pool) == {f"k{i}": "v" for i in range(49)}
    admin.tag_resource(ResourceArn=pool["Arn"], Tags={"k49": "fiftieth"})
    assert len(tags_of(server, pool)) == 50
