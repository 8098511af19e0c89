"""The guard's pure parts: addresses counted per host (IPv6 per /64), and its settings checked at
start-up."""

from __future__ import annotations

import pytest

from mamori.config import ConfigError, load_settings
from mamori.services.security.guard import ip_scope


def test_addresses_are_counted_per_host_ipv6_per_64() -> None:
    assert ip_scope("203.0.113.7") == "203.0.113.7"
    assert ip_scope("::ffff:203.0.113.7") == "203.0.113.7"
    assert (
        ip_scope("2001:db8:1:2:aaaa::1") == ip_scope("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    )
    assert ip_scope("2001:db8:1:3::1") != ip_scope("2001:db8:1:2::1")
    assert ip_scope("unknown") == "unknown"


def test_guard_settings_are_checked_at_start_up() -> None:
    with pytest.raises(ConfigError, match="redis_url must start with"):
        load_settings({"redis_url": "http://127.0.0.1:6379"}, environ={})
    with pytest.raises(ConfigError, match="rate limits"):
        load_settings({"rate_limit_user_per_second": -1}, environ={})
    with pytest.raises(ConfigError, match="rate_limit_ip_burst must be at least 1"):
        load_settings({"rate_limit_ip_burst": 0}, environ={})
    # The per-minute settings were replaced: naming one stops the start and says by what.
    with pytest.raises(ConfigError, match="replaced by rate_limit_ip_per_second"):
        load_settings({}, environ={"MAMORI_RATE_LIMIT_IP_PER_MINUTE": "600"})
    with pytest.raises(ConfigError, match="replaced by rate_limit_user_per_second"):
        load_settings({"rate_limit_user_per_minute": 30}, environ={})
    settings = load_settings(
        {"redis_url": "redis://:s3cret@127.0.0.1:6379/0"}, environ={"MAMORI_LOCKOUT": "off"}
    )
    assert settings.lockout is False
    assert "s3cret" not in repr(settings)
