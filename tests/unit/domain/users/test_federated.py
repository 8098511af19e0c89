"""Federated users' names, identities attribute, automatic group and attribute mapping."""

from __future__ import annotations

import json

from mamori.domain.users.federated import (
    ProviderIdentity,
    automatic_group,
    federated_username,
    identities_claim,
    identities_value,
    mapped_attributes,
    subject_claim,
    unstorable,
)

GOOGLE = ProviderIdentity("Google", "Google", "https://accounts.google.com", "1234")


def test_the_username_and_group_are_cognitos() -> None:
    assert federated_username(GOOGLE) == "Google_1234"
    assert automatic_group("us-east-1_abc", "Google") == "us-east-1_abc_Google"


def test_identities_add_an_entry_once_and_keep_its_creation_date() -> None:
    first = identities_value(None, GOOGLE, 1_000)
    assert json.loads(first) == [
        {
            "userId": "1234",
            "providerName": "Google",
            "providerType": "Google",
            "issuer": "https://accounts.google.com",
            "primary": "true",
            "dateCreated": "1000",
        }
    ]
    assert identities_value(first, GOOGLE, 2_000) == first
    other = ProviderIdentity("Corp", "OIDC", "https://corp.example", "u-9")
    both = json.loads(identities_value(first, other, 3_000))
    assert [e["providerName"] for e in both] == ["Google", "Corp"]
    assert both[1]["primary"] == "false" and both[1]["dateCreated"] == "3000"
    # A value that is not a JSON list starts again rather than failing the sign-in.
    assert json.loads(identities_value("not json", GOOGLE, 5))[0]["dateCreated"] == "5"
    assert identities_claim(first) == json.loads(first)


def test_mapping_takes_what_the_provider_sent_as_strings() -> None:
    mapping = {
        "email": "email",
        "email_verified": "email_verified",
        "name": "name",
        "custom:groups": "groups",
        "given_name": "missing",
        "username": "sub",
    }
    claims = {
        "sub": "s",
        "email": "a@example.com",
        "email_verified": True,
        "name": "A",
        "groups": ["x", "y"],
    }
    assert mapped_attributes(mapping, claims) == {
        "email": "a@example.com",
        "email_verified": "true",
        "name": "A",
        "custom:groups": '["x","y"]',
    }
    assert subject_claim(mapping) == "sub"
    assert subject_claim({"username": "oid"}) == "oid"
    assert subject_claim({}) == "sub"


def test_a_subject_or_value_no_store_holds_is_named() -> None:
    def identity(subject: str) -> ProviderIdentity:
        return ProviderIdentity("Corp", "OIDC", "https://idp.example", subject)

    assert unstorable(identity("u-1"), {"name": "ünï/cödé?#&= ok", "email": "a@b"}) is None
    assert unstorable(identity("u\x00-1"), {"name": "N"}) == "username"
    assert unstorable(identity("u-\ud800"), {}) == "username"
    assert unstorable(identity("u-1"), {"email": "a@b", "name": "a\x00b"}) == "name"
    assert unstorable(identity("u-1"), {"name": "\udfffx"}) == "name"
