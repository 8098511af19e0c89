"""AWS timestamps: epoch seconds out, and the placeholder date of a draft built from a request."""

from __future__ import annotations

from datetime import UTC, datetime

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def ts(value: datetime) -> float:
    return value.timestamp()
