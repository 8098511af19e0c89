"""Which attribute values sign a user in, and which are searchable by ListUsers."""

from __future__ import annotations

from collections.abc import Mapping

from mamori.domain.userpools.user_pool import UserPool
from mamori.domain.users.user import User

# Cognito: ListUsers can filter on these standard attributes (plus username, status, sub).
SEARCHABLE: frozenset[str] = frozenset(
    {"email", "phone_number", "name", "given_name", "family_name", "preferred_username"}
)


def alias_value_key(pool: UserPool, attribute: str, value: str) -> str:
    # Cognito: email aliases are matched without regard to case.
    if attribute == "email" or not pool.case_sensitive:
        return value.lower()
    return value


def alias_entries(pool: UserPool, user: User) -> Mapping[str, str]:
    """attribute -> lookup key of every value that must be unique and can sign this user in."""
    entries: dict[str, str] = {}
    for attribute in pool.username_attributes:
        value = user.attributes.get(attribute)
        if value:
            entries[attribute] = alias_value_key(pool, attribute, value)
    for attribute in pool.alias_attributes:
        value = user.attributes.get(attribute)
        if not value:
            continue
        # Email and phone aliases count only once verified; preferred_username always.
        if attribute == "preferred_username" or user.verified(attribute):
            entries[attribute] = alias_value_key(pool, attribute, value)
    return entries


def search_entries(user: User) -> Mapping[str, str]:
    return {k: v for k, v in user.attributes.items() if k in SEARCHABLE and v}
