"""Generated identifiers have the formats botocore's model and Cognito's clients expect."""

from __future__ import annotations

import re
import uuid

import botocore.session

from mamori.domain.ids import new_client_id, new_pool_id, new_sub, region_of
from mamori.protocols.java_patterns import python_pattern

MODEL = botocore.session.get_session().get_service_model("cognito-idp")


def model_pattern(shape: str) -> tuple[re.Pattern[str], int]:
    metadata = MODEL.shape_for(shape).metadata
    return re.compile(python_pattern(metadata["pattern"])), int(metadata["max"])


def test_pool_ids_match_the_model_and_cognitos_shape() -> None:
    pattern, longest = model_pattern("UserPoolIdType")
    ids = {new_pool_id("ap-northeast-1") for _ in range(200)}
    assert len(ids) == 200
    for pool_id in ids:
        assert pattern.fullmatch(pool_id) and len(pool_id) <= longest
        # Cognito: "<region>_<9 alphanumerics>"; Amplify splits on "_" to find the region.
        assert re.fullmatch(r"ap-northeast-1_[0-9A-Za-z]{9}", pool_id)
        assert region_of(pool_id) == "ap-northeast-1"


def test_client_ids_match_the_model_and_cognitos_shape() -> None:
    pattern, longest = model_pattern("ClientIdType")
    ids = {new_client_id() for _ in range(200)}
    assert len(ids) == 200
    for client_id in ids:
        assert pattern.fullmatch(client_id) and len(client_id) <= longest
        assert re.fullmatch(r"[0-9a-z]{26}", client_id)


def test_subs_are_random_uuids() -> None:
    subs = {new_sub() for _ in range(200)}
    assert len(subs) == 200
    for sub in subs:
        assert uuid.UUID(sub).version == 4
        assert str(uuid.UUID(sub)) == sub
