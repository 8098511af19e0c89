"""Builds threat protection at sign-in for wiring.py: `TakeoverNotices` (the account-takeover
emails) and `SignInRisk` over the risk configuration and the signals from the user's auth
events, devices, GeoIP and the shared counters, scored with the deployment's weights and counted
over its windows (settings `risk_weights`, `risk_window_minutes`); nothing is read for a pool
with it OFF."""

from __future__ import annotations

from mamori.adapters.geoip.maxmind import MaxMindGeoIp, NoGeoIp
from mamori.adapters.store.sql.auth_events import SqlAuthEventStore
from mamori.adapters.store.sql.devices import SqlDeviceStore
from mamori.crypto.aead import Keyring
from mamori.domain.security.risk import RiskWeights, SignalWindows
from mamori.services.auth.sign_in_risk import SignInRisk
from mamori.services.ports import Clock
from mamori.services.security.auth_events import AuthEventLog
from mamori.services.security.guard import Guard
from mamori.services.security.ports import Counters
from mamori.services.security.risk_config import RiskConfigService
from mamori.services.security.risk_signals import RiskSignalSources
from mamori.services.security.takeover_notices import EmailSender, TakeoverNotices


def build_threat_protection(
    email: EmailSender,
    auth_events: AuthEventLog,
    keyring: Keyring,
    clock: Clock,
    public_url: str,
    guard: Guard,
    risk_config: RiskConfigService,
    auth_event_store: SqlAuthEventStore,
    device_store: SqlDeviceStore,
    geoip: MaxMindGeoIp | NoGeoIp,
    counters: Counters,
    weights: RiskWeights,
    windows: SignalWindows,
) -> tuple[TakeoverNotices, SignInRisk]:
    """The takeover notices (also a `Services` field) and the sign-in's risk assessment."""
    takeover_notices = TakeoverNotices(email, auth_events, keyring, clock, public_url, guard)
    sign_in_risk = SignInRisk(
        risk_config,
        RiskSignalSources(auth_event_store, device_store, geoip, counters, windows),
        clock,
        weights,
        notifier=takeover_notices,
    )
    return takeover_notices, sign_in_risk
