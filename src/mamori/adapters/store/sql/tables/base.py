"""The schema's MetaData and the column types every table module shares."""

from __future__ import annotations

from sqlalchemy import MetaData, String

metadata = MetaData()

# Characters of a searchable value kept in the indexed `value_head` column. Index entries must stay
# small whatever the input: PostgreSQL refuses a B-tree row over ~2.7 kB, and an attribute value
# may be 2048 characters of 4 bytes each.
SEARCH_HEAD = 64


def code_point_key(length: int) -> String:
    """A string compared and sorted by code point on every database, as prefix ranges need.

    SQLite compares bytes already; PostgreSQL gets collation "C" instead of the database default
    (a linguistic collation would put "Ann" inside the range for prefix "ann").
    """
    return String(length).with_variant(String(length, collation="C"), "postgresql")
