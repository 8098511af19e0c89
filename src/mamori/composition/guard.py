"""Builds the guard's parts for wiring.py: the lockout and rate-limit counters (Redis when
configured, else the database) and the guard's policy from the settings."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from mamori.adapters.counters.redis import RedisCounters
from mamori.adapters.counters.sql import SqlCounters
from mamori.config import Settings
from mamori.services.security.guard import GuardPolicy, Rate
from mamori.services.security.ports import Counters


def build_counters(settings: Settings, engine: AsyncEngine) -> Counters:
    """Redis when configured (shared by servers on any database), else the database's table."""
    if settings.redis_url:
        return RedisCounters.from_url(settings.redis_url)
    return SqlCounters(engine)


def guard_policy(settings: Settings) -> GuardPolicy:
    return GuardPolicy(
        lockout=settings.lockout,
        ip=Rate(settings.rate_limit_ip_per_second, settings.rate_limit_ip_burst),
        user=Rate(settings.rate_limit_user_per_second, settings.rate_limit_user_burst),
        sends_per_user_hour=settings.code_sends_per_user_per_hour,
        sends_per_destination_hour=settings.code_sends_per_destination_per_hour,
    )
