"""Request validation against botocore's cognito-idp model and small synthetic models."""

from __future__ import annotations

import base64
import functools
import re
import time
from typing import Any

import botocore.session
import pytest
from botocore.model import ServiceModel, Shape, ShapeResolver, StructureShape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mamori.protocols.java_patterns import python_pattern
from mamori.protocols.shapes import ShapeError, validate

POOL_ID = "us-east-1_AbCdEf123"
PASSWORD = "Corr3ct horse!"  # the space is what [\S]+ rejects


@functools.cache
def model(service: str = "cognito-idp") -> ServiceModel:
    return botocore.session.get_session().get_service_model(service)


def shape(operation: str) -> StructureShape:
    return model().operation_model(operation).input_shape


def synthetic(shapes: dict[str, dict[str, Any]]) -> StructureShape:
    """An input shape from a hand-written model, for types cognito-idp barely uses."""
    return ShapeResolver(shapes).get_shape_by_name("Input")


def rejected(operation: str | StructureShape, params: object) -> ShapeError:
    input_shape = shape(operation) if isinstance(operation, str) else operation
    with pytest.raises(ShapeError) as caught:
        validate(input_shape, params)
    return caught.value


def invalid(operation: str | StructureShape, params: object) -> str:
    error = rejected(operation, params)
    assert error.code == "InvalidParameterException", error.message
    return error.message


def serialization(operation: str | StructureShape, params: object) -> str:
    error = rejected(operation, params)
    assert error.code == "SerializationException", error.message
    return error.message


# -- accepted ---------------------------------------------------------------------------------

VALID = {
    "SignUp": {
        "ClientId": "4tbsq0dm4lf0ktqsr8ug2oq9q",
        "Username": "ユーザー.name+tag@example.com",
        "Password": "Corr3ct-horse!",
        "UserAttributes": [{"Name": "email", "Value": "a@example.com"}],
        "ClientMetadata": {"source": "test"},
    },
    "AdminCreateUser": {
        "UserPoolId": POOL_ID,
        "Username": "bob",
        "UserAttributes": [{"Name": "email", "Value": "bob@example.com"}],
        "TemporaryPassword": "Temp0rary!",
        "MessageAction": "SUPPRESS",
        "DesiredDeliveryMediums": ["EMAIL"],
        "ForceAliasCreation": False,
    },
    "CreateUserPool": {
        "PoolName": "my pool",
        "Policies": {"PasswordPolicy": {"MinimumLength": 8, "RequireSymbols": True}},
        "Schema": [{"Name": "tenant", "AttributeDataType": "String", "Mutable": True}],
        "EmailVerificationMessage": "Your code is {####}",
        "UsernameConfiguration": {"CaseSensitive": False},
        "MfaConfiguration": "OFF",
    },
    "ListUsers": {"UserPoolId": POOL_ID, "Limit": 60, "Filter": 'email ^= "a"'},
    "InitiateAuth": {
        "AuthFlow": "USER_PASSWORD_AUTH",
        "ClientId": "4tbsq0dm4lf0ktqsr8ug2oq9q",
        "AuthParameters": {"USERNAME": "bob", "PASSWORD": "pw"},
    },
}


@pytest.mark.parametrize("operation", sorted(VALID))
def test_valid_requests_pass(operation: str) -> None:
    validate(shape(operation), VALID[operation])
    validate(shape(operation), VALID[operation])  # second call uses the cached validator


def test_unknown_members_are_ignored() -> None:
    validate(shape("ListUsers"), {"UserPoolId": POOL_ID, "Nonsense": [1, {"x": None}]})


def test_null_counts_as_absent() -> None:
    validate(shape("ListUsers"), {"UserPoolId": POOL_ID, "Limit": None, "Filter": None})


def test_a_fresh_service_model_validates_the_same() -> None:
    fresh = botocore.session.get_session().get_service_model("cognito-idp")
    validate(fresh.operation_model("ListUsers").input_shape, VALID["ListUsers"])
    assert "userPoolId" in invalid(fresh.operation_model("ListUsers").input_shape, {})


# -- constraint violations --------------------------------------------------------------------


def test_missing_required_members_are_all_reported() -> None:
    assert invalid("SignUp", {"Password": "x"}) == (
        "2 validation errors detected: "
        "Value null at 'clientId' failed to satisfy constraint: Member must not be null; "
        "Value null at 'username' failed to satisfy constraint: Member must not be null"
    )


def test_required_null_is_missing() -> None:
    message = invalid("ListUsers", {"UserPoolId": None})
    assert message == (
        "1 validation error detected: Value null at 'userPoolId' "
        "failed to satisfy constraint: Member must not be null"
    )


def test_too_long() -> None:
    pool_id = "us-east-1_" + "a" * 46
    assert invalid("ListUsers", {"UserPoolId": pool_id}) == (
        f"1 validation error detected: Value '{pool_id}' at 'userPoolId' failed to satisfy "
        "constraint: Member must have length less than or equal to 55"
    )


def test_bad_pattern_on_user_pool_id() -> None:
    assert invalid("ListUsers", {"UserPoolId": "x y"}) == (
        "1 validation error detected: Value 'x y' at 'userPoolId' failed to satisfy constraint: "
        r"Member must satisfy regular expression pattern: [\w-]+_[0-9a-zA-Z]+"
    )


def test_enum_violation() -> None:
    allowed = ", ".join(model().shape_for("AuthFlowType").enum)
    message = invalid("InitiateAuth", {"AuthFlow": "NOPE", "ClientId": "abc"})
    assert message == (
        "1 validation error detected: Value 'NOPE' at 'authFlow' failed to satisfy constraint: "
        f"Member must satisfy enum value set: [{allowed}]"
    )
    assert "USER_SRP_AUTH" in allowed


def test_numeric_range() -> None:
    assert invalid("ListUsers", {"UserPoolId": POOL_ID, "Limit": 61}).endswith(
        "Value '61' at 'limit' failed to satisfy constraint: "
        "Member must have value less than or equal to 60"
    )
    params = {"PoolName": "p", "Policies": {"PasswordPolicy": {"MinimumLength": 5}}}
    assert invalid("CreateUserPool", params).endswith(
        "Value '5' at 'policies.passwordPolicy.minimumLength' failed to satisfy constraint: "
        "Member must have value greater than or equal to 6"
    )


def test_list_element_paths_are_one_based_with_member() -> None:
    params = {
        "UserPoolId": POOL_ID,
        "Username": "bob",
        "UserAttributes": [{"Name": "email", "Value": "a"}, {"Value": "b"}, {"Name": "n" * 33}],
    }
    assert invalid("AdminCreateUser", params) == (
        "2 validation errors detected: "
        "Value null at 'userAttributes.2.member.name' failed to satisfy constraint: "
        "Member must not be null; "
        f"Value '{'n' * 33}' at 'userAttributes.3.member.name' failed to satisfy constraint: "
        "Member must have length less than or equal to 32"
    )


def test_list_of_enums() -> None:
    params = {**VALID["AdminCreateUser"], "DesiredDeliveryMediums": ["EMAIL", "PIGEON"]}
    assert "Value 'PIGEON' at 'desiredDeliveryMediums.2.member'" in invalid(
        "AdminCreateUser", params
    )


def test_list_length_counts_elements() -> None:
    params = {"PoolName": "p", "Schema": []}
    assert invalid("CreateUserPool", params).endswith(
        "at 'schema' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1"
    )


def test_an_unbounded_list_is_capped_before_its_entries_are_checked() -> None:
    # ListUsers' AttributesToGet has no max in the model; 100,000 names were answered.
    names = [f"custom:a{i}" for i in range(100_000)]
    params = {"UserPoolId": POOL_ID, "AttributesToGet": names}
    started = time.perf_counter()
    message = invalid("ListUsers", params)
    assert time.perf_counter() - started < 0.05
    assert message == (
        "1 validation error detected: Value at 'attributesToGet' failed to satisfy constraint: "
        "Member must have length less than or equal to 100"
    )
    # An invalid entry past the cap is not even looked at: one violation, not two.
    assert invalid(
        "ListUsers", {**params, "AttributesToGet": [*names[:200], "bad name!"]}
    ).startswith("1 validation error")
    validate(shape("ListUsers"), {**params, "AttributesToGet": names[:100]})


@pytest.mark.parametrize(
    ("operation", "params", "path", "limit"),
    [
        (
            "SignUp",
            {**VALID["SignUp"], "ClientMetadata": {f"k{i}": "v" for i in range(101)}},
            "clientMetadata",
            100,
        ),
        (
            "TagResource",
            {
                "ResourceArn": "arn:aws:cognito-idp:us-east-1:1:userpool/x",
                "Tags": {f"k{i}": "v" for i in range(51)},
            },
            "tags",
            50,
        ),
        (
            "UntagResource",
            {
                "ResourceArn": "arn:aws:cognito-idp:us-east-1:1:userpool/x",
                "TagKeys": [f"k{i}" for i in range(51)],
            },
            "tagKeys",
            50,
        ),
        (
            "AdminUpdateUserAttributes",
            {
                "UserPoolId": POOL_ID,
                "Username": "u",
                "UserAttributes": [{"Name": f"custom:a{i}", "Value": "v"} for i in range(101)],
            },
            "userAttributes",
            100,
        ),
    ],
)
def test_documented_or_generic_caps(
    operation: str, params: dict[str, Any], path: str, limit: int
) -> None:
    assert invalid(operation, params).endswith(
        f"at '{path}' failed to satisfy constraint: "
        f"Member must have length less than or equal to {limit}"
    )


def test_a_list_with_a_model_max_stops_at_it_too() -> None:
    schema = [{"Name": f"a{i}", "AttributeDataType": "String"} for i in range(20_000)]
    schema.append({"Name": "bad name!", "AttributeDataType": "Pigeon"})
    message = invalid("CreateUserPool", {"PoolName": "p", "Schema": schema})
    assert message.startswith("1 validation error detected: Value at 'schema'")


def test_several_violations_are_counted() -> None:
    params = {
        "PoolName": "",
        "Policies": {"PasswordPolicy": {"MinimumLength": 2}},
        "MfaConfiguration": "SOMETIMES",
    }
    message = invalid("CreateUserPool", params)
    assert message.startswith("4 validation errors detected: Value '' at 'poolName'")
    assert message.count("failed to satisfy constraint") == 4
    assert "Member must have length greater than or equal to 1" in message
    assert "Member must satisfy regular expression pattern" in message
    assert "at 'policies.passwordPolicy.minimumLength'" in message
    assert "Value 'SOMETIMES' at 'mfaConfiguration'" in message


def test_sensitive_values_are_not_printed() -> None:
    params = {"ClientId": "abc", "Username": "bob", "Password": PASSWORD}
    message = invalid("SignUp", params)
    assert message == (
        "1 validation error detected: Value at 'password' failed to satisfy constraint: "
        r"Member must satisfy regular expression pattern: [\S]+"
    )
    assert PASSWORD not in message


def test_sensitive_required_null_still_says_null() -> None:
    message = invalid("SignUp", {"ClientId": "abc"})
    assert "Value null at 'username'" in message


def test_values_inside_a_sensitive_container_are_hidden() -> None:
    input_shape = synthetic(
        {
            "Input": {"type": "structure", "members": {"Secrets": {"shape": "Secrets"}}},
            "Secrets": {
                "type": "map",
                "key": {"shape": "Key"},
                "value": {"shape": "Key"},
                "sensitive": True,
            },
            "Key": {"type": "string", "max": 3},
        }
    )
    message = invalid(input_shape, {"Secrets": {"ok": "hunter2"}})
    assert message == (
        "1 validation error detected: Value at 'secrets.entry.value' failed to satisfy "
        "constraint: Member must have length less than or equal to 3"
    )


def test_members_of_a_sensitive_structure_are_hidden() -> None:
    input_shape = synthetic(
        {
            "Input": {"type": "structure", "members": {"Context": {"shape": "Context"}}},
            "Context": {
                "type": "structure",
                "members": {"Data": {"shape": "Short"}},
                "sensitive": True,
            },
            "Short": {"type": "string", "max": 3},
        }
    )
    message = invalid(input_shape, {"Context": {"Data": "hunter2"}})
    assert "Value at 'context.data'" in message
    assert "hunter2" not in message


# -- Java regular expressions -----------------------------------------------------------------


def test_java_word_class_is_ascii() -> None:
    assert "at 'userPoolId'" in invalid("ListUsers", {"UserPoolId": "us-east-1_pööl"})


def test_java_non_space_class_is_ascii() -> None:
    # Java's \S is everything but ASCII whitespace, so a no-break space is allowed.
    validate(shape("SignUp"), {"ClientId": "abc", "Username": "bob", "Password": "a\u00a0b"})
    assert "at 'password'" in invalid(
        "SignUp", {"ClientId": "a", "Username": "b", "Password": "a b"}
    )


def test_unicode_properties_still_apply() -> None:
    validate(shape("SignUp"), {"ClientId": "abc", "Username": "名前"})
    assert "at 'username'" in invalid("SignUp", {"ClientId": "abc", "Username": "a b"})


@pytest.mark.parametrize(
    ("java", "python"),
    [
        (r"[\w-]+_[0-9a-zA-Z]+", r"[A-Za-z0-9_-]+_[0-9a-zA-Z]+"),
        (r"[\S]+", r"[^ \t\n\x0B\f\r]+"),
        (r"^https://[^\s]+$", r"^https://[^ \t\n\x0B\f\r]+$"),
        (r"\d+\W", r"[0-9]+[^A-Za-z0-9_]"),
        (r"[\p{L}\s*]+", r"[\p{L} \t\n\x0B\f\r*]+"),
        (r"^https://[!$-;=@-\[\]_a-z~]+$", r"^https://[!$-;=@-\[\]_a-z~]+$"),
        (r"[]a]", r"[]a]"),
        (r"[a-z&&[^q]]\w", r"[a-z&&[^q]]\w"),  # Java set operations are left alone
    ],
)
def test_java_pattern_translation(java: str, python: str) -> None:
    assert python_pattern(java) == python


@pytest.mark.parametrize("service", ["cognito-idp", "cognito-identity"])
def test_every_operation_in_the_model_compiles(service: str) -> None:
    service_model = model(service)
    for name in service_model.operation_names:
        input_shape = service_model.operation_model(name).input_shape
        if input_shape is not None:
            try:
                validate(input_shape, {})
            except ShapeError as error:
                assert error.code == "InvalidParameterException"


def test_catastrophic_backtracking_is_cut_short() -> None:
    # Quadratic for [..]*\{####\}[..]* on a long value that fails only at its last character.
    params = {"PoolName": "p", "EmailVerificationMessage": "{####}" * 3000 + "\x00"}
    message = invalid("CreateUserPool", params)
    assert "at 'emailVerificationMessage'" in message
    assert "regular expression pattern" in message


def test_long_matching_value_passes_the_guarded_path() -> None:
    params = {"PoolName": "p", "EmailVerificationMessage": "x" * 19000 + " {####}"}
    validate(shape("CreateUserPool"), params)


# -- wrong JSON types -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "params", "message"),
    [
        ("ListUsers", {"UserPoolId": 5}, "Unexpected type for 'UserPoolId': expected string"),
        ("ListUsers", [], "Unexpected type for the request body: expected structure"),
        (
            "ListUsers",
            {"UserPoolId": POOL_ID, "Limit": True},
            "Unexpected type for 'Limit': expected integer",
        ),
        (
            "ListUsers",
            {"UserPoolId": POOL_ID, "Limit": 1.5},
            "Unexpected type for 'Limit': expected integer",
        ),
        (
            "ListUsers",
            {"UserPoolId": POOL_ID, "Limit": 2**31},
            "Value for 'Limit' is out of range for integer",
        ),
        (
            "SignUp",
            {"ClientId": "a", "Username": "b", "UserAttributes": [{"Name": "email", "Value": 5}]},
            "Unexpected type for 'UserAttributes[0].Value': expected string",
        ),
        (
            "SignUp",
            {"ClientId": "a", "Username": "b", "UserAttributes": [None]},
            "Unexpected type for 'UserAttributes[0]': expected structure",
        ),
        (
            "SignUp",
            {"ClientId": "a", "Username": "b", "UserAttributes": {"Name": "email"}},
            "Unexpected type for 'UserAttributes': expected list",
        ),
        (
            "SignUp",
            {"ClientId": "a", "Username": "b", "ClientMetadata": {"k": 1}},
            """Unexpected type for 'ClientMetadata["k"]': expected string""",
        ),
        (
            "CreateUserPool",
            {"PoolName": "p", "Policies": []},
            "Unexpected type for 'Policies': expected structure",
        ),
        (
            "CreateUserPool",
            {"PoolName": "p", "Policies": {"PasswordPolicy": {"RequireSymbols": "true"}}},
            "Unexpected type for 'Policies.PasswordPolicy.RequireSymbols': expected boolean",
        ),
    ],
)
def test_wrong_types(operation: str, params: object, message: str) -> None:
    assert serialization(operation, params) == message


def test_wrong_type_wins_over_constraint_violations() -> None:
    assert serialization("ListUsers", {"UserPoolId": "x y", "Limit": "5"}) == (
        "Unexpected type for 'Limit': expected integer"
    )


BLOBS = {
    "Input": {
        "type": "structure",
        "required": ["Image"],
        "members": {
            "Image": {"shape": "Image"},
            "Count": {"shape": "Count"},
            "Ratio": {"shape": "Ratio"},
            "At": {"shape": "At"},
            "Names": {"shape": "Names"},
            "Doc": {"shape": "Doc"},
            "Tree": {"shape": "Tree"},
        },
    },
    "Image": {"type": "blob", "max": 4},
    "Count": {"type": "long", "min": 1},
    "Ratio": {"type": "double", "max": 1},
    "At": {"type": "timestamp"},
    "Names": {"type": "list", "member": {"shape": "Name"}, "max": 1},
    "Name": {"type": "string"},
    "Doc": {"type": "structure", "members": {}, "document": True},
    "Tree": {"type": "structure", "members": {"Child": {"shape": "Tree"}, "Id": {"shape": "Id"}}},
    "Id": {"type": "string", "pattern": "[0-9]+"},
}


def test_other_scalar_types() -> None:
    input_shape = synthetic(BLOBS)
    image = base64.b64encode(b"abcd").decode()
    validate(input_shape, {"Image": image, "Count": 2**40, "Ratio": 0.5, "At": 1.7e9})
    validate(input_shape, {"Image": image, "Doc": [1, {"any": "thing"}], "Ratio": 1})
    assert invalid(input_shape, {"Image": base64.b64encode(b"abcde").decode()}) == (
        "1 validation error detected: Value at 'image' failed to satisfy constraint: "
        "Member must have length less than or equal to 4"
    )
    assert "greater than or equal to 1" in invalid(input_shape, {"Image": image, "Count": 0})
    assert "Value '1.5' at 'ratio'" in invalid(input_shape, {"Image": image, "Ratio": 1.5})
    assert serialization(input_shape, {"Image": "not base64!"}) == (
        "Unexpected type for 'Image': expected blob (base64 string)"
    )
    assert serialization(input_shape, {"Image": image, "At": "2026-11-26"}) == (
        "Unexpected type for 'At': expected timestamp"
    )
    assert serialization(input_shape, {"Image": image, "Count": 2**63}) == (
        "Value for 'Count' is out of range for long"
    )


def test_list_of_scalars_is_printed_like_java() -> None:
    message = invalid(synthetic(BLOBS), {"Image": "", "Names": ["a", "b"]})
    assert "Value '[a, b]' at 'names' failed to satisfy constraint" in message


def test_recursive_shapes() -> None:
    input_shape = synthetic(BLOBS)
    tree = {"Id": "1", "Child": {"Id": "2", "Child": {"Id": "x"}}}
    assert invalid(input_shape, {"Image": "", "Tree": tree}).startswith(
        "1 validation error detected: Value 'x' at 'tree.child.child.id'"
    )


# -- properties -------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=10,
)


def well_typed(node: Shape, depth: int = 0) -> st.SearchStrategy[object]:
    """Values of the right JSON type for a shape, with arbitrary content."""
    kind = node.type_name
    if kind == "structure":
        if node.metadata.get("document") or depth > 3:
            return st.just({})
        members = {name: well_typed(member, depth + 1) for name, member in node.members.items()}
        return st.fixed_dictionaries({}, optional=members)
    if kind == "list":
        return st.lists(well_typed(node.member, depth + 1), max_size=3)
    if kind == "map":
        return st.dictionaries(st.text(max_size=10), well_typed(node.value, depth + 1), max_size=3)
    if kind == "string":
        enum = node.metadata.get("enum")
        return st.sampled_from(enum) | st.text() if enum else st.text()
    if kind == "integer":
        return st.integers(-(2**31), 2**31 - 1)
    if kind == "long":
        return st.integers(-(2**63), 2**63 - 1)
    if kind == "boolean":
        return st.booleans()
    if kind == "blob":
        return st.binary(max_size=16).map(lambda raw: base64.b64encode(raw).decode())
    return st.floats(allow_nan=False, allow_infinity=False)


operations = st.sampled_from(
    [name for name in sorted(model().operation_names) if shape(name) is not None]
).map(shape)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), operation=operations)
def test_well_typed_input_only_fails_constraints(data: st.DataObject, operation: Any) -> None:
    params = data.draw(well_typed(operation))
    try:
        validate(operation, params)
    except ShapeError as error:
        assert error.code == "InvalidParameterException"
        assert re.match(r"\d+ validation errors? detected: Value", error.message)


@settings(max_examples=300)
@given(data=st.data(), operation=operations)
def test_arbitrary_json_only_raises_shape_errors(data: st.DataObject, operation: Any) -> None:
    names = st.sampled_from([*operation.members, "Unknown"])
    params = data.draw(st.dictionaries(names, json_values) | json_values)
    try:
        validate(operation, params)
    except ShapeError as error:
        assert error.code in ("SerializationException", "InvalidParameterException")


# -- cognito-identity -------------------------------------------------------------------------


def test_cognito_identity_answers_validation_exception() -> None:
    # Cognito: identity pools answer what the model refuses with ValidationException, in the
    # same words cognito-idp uses for its InvalidParameterException.
    get_id = model("cognito-identity").operation_model("GetId").input_shape
    with pytest.raises(ShapeError) as caught:
        validate(get_id, {"IdentityPoolId": "us-east-1_AbCdEf123"}, "cognito-identity")
    assert caught.value.code == "ValidationException"
    assert caught.value.message == (
        "1 validation error detected: Value 'us-east-1_AbCdEf123' at 'identityPoolId' failed "
        "to satisfy constraint: Member must satisfy regular expression pattern: "
        "[\\w-]+:[0-9a-f-]+"
    )
    # Wrong JSON types stay SerializationException for both services.
    with pytest.raises(ShapeError) as caught:
        validate(get_id, {"IdentityPoolId": 7}, "cognito-identity")
    assert caught.value.code == "SerializationException"
    assert invalid("AdminGetUser", {"UserPoolId": "bad", "Username": "u"})


@pytest.mark.parametrize(
    "operation",
    [
        "CreateUserPoolDomain",
        "DescribeUserPoolDomain",
        "UpdateUserPoolDomain",
        "DeleteUserPoolDomain",
    ],
)
def test_domain_type_takes_a_custom_domains_full_name(operation: str) -> None:
    # Cognito: DomainType's pattern is one label, yet custom domains are full names.
    params = {"Domain": "auth.example.com", "UserPoolId": "us-east-1_abc"}
    validate(shape(operation), params)
    for bad in ("Auth.example.com", "a..b", "a.-b.com", "x" * 64, "a." * 127 + "a"):
        assert "Member must" in invalid(operation, {**params, "Domain": bad})
