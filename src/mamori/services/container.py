"""The set of services one running mamori offers; wiring.py builds it."""

from __future__ import annotations

from dataclasses import dataclass

from mamori.ports import Clock, OutboxReader
from mamori.services.admin_users import AdminUserService
from mamori.services.auth import AuthService
from mamori.services.clients import ClientService
from mamori.services.credentials import IdentityServices
from mamori.services.devices import DeviceService
from mamori.services.groups import GroupService
from mamori.services.guard import Guard
from mamori.services.keys import KeyService
from mamori.services.mfa import MfaService
from mamori.services.pools import PoolService
from mamori.services.purge import Purger
from mamori.services.recovery import RecoveryService
from mamori.services.tokens import TokenService
from mamori.services.users import UserService


@dataclass(frozen=True)
class Services:
    clock: Clock
    pools: PoolService
    clients: ClientService
    users: UserService
    admin_users: AdminUserService  # the administrator's user operations (IAM-authorised)
    groups: GroupService
    auth: AuthService
    tokens: TokenService
    keys: KeyService
    outbox: OutboxReader
    identity: IdentityServices  # identity pools (cognito-identity) and the identity issuer
    guard: Guard  # lockout and rate limits
    recovery: RecoveryService  # forgot password, attribute verification
    mfa: MfaService  # pool MFA configuration, users' factors and TOTP tokens
    devices: DeviceService  # remembered devices
    # deletes expired refresh sessions and codes, old outbox messages (`mamori purge`, periodic)
    purger: Purger
