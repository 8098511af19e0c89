"""services/auth/mfa.py's pure parts: the TOTP wait rule as the cutoffs the store's one conditional
update applies (MfaStore.count_attempt)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mamori.services.auth.mfa import MAX_TOTP_WAIT, attempt_cutoffs

NOW = datetime(2024, 5, 17, 12, 0, tzinfo=UTC)


def test_the_wait_doubles_from_a_minute_up_to_fifteen() -> None:
    waits = [NOW - cutoff for cutoff in attempt_cutoffs(NOW)]
    minutes = [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert waits == [*minutes, MAX_TOTP_WAIT]
