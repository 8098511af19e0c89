"""Assembles the sign-in: AuthService and the parts it runs (sealed Sessions, code, SRP and
USER_AUTH steps, the machine), for wiring.py, the only caller."""

from __future__ import annotations

import anyio

from mamori.crypto.aead import Keyring
from mamori.services.auth.challenge_functions import ChallengeFunctions, ChallengeTriggers
from mamori.services.auth.challenge_session import ChallengeSessionSeal
from mamori.services.auth.code_steps import CodeSteps
from mamori.services.auth.custom_auth import CustomAuthSteps
from mamori.services.auth.devices import DeviceService
from mamori.services.auth.mfa import MfaService
from mamori.services.auth.refresh import RefreshService
from mamori.services.auth.service import AuthService, SignInSteps
from mamori.services.auth.sign_in import SignInMachine
from mamori.services.auth.sign_in_events import SignInEvents
from mamori.services.auth.sign_in_risk import SignInRisk
from mamori.services.auth.sign_in_state import ChallengeSessions
from mamori.services.auth.sign_in_triggers import SignInTriggers
from mamori.services.auth.srp_exchange import SrpExchanges
from mamori.services.auth.srp_steps import SrpSteps
from mamori.services.auth.user_auth import UserAuthSteps
from mamori.services.ports import Clock
from mamori.services.security.auth_events import AuthEventLog
from mamori.services.security.guard import Guard
from mamori.services.security.ports import Counters
from mamori.services.tokens.pool_tokens import TokenService
from mamori.services.tokens.ports import RefreshSessionStore
from mamori.services.userpools.clients import ClientService
from mamori.services.users.accounts import UserAccounts
from mamori.services.users.migration import UserMigration
from mamori.services.users.srp_verifiers import VerifierVault


def build_auth(
    users: UserAccounts,
    clients: ClientService,
    tokens: TokenService,
    sessions: RefreshSessionStore,
    keyring: Keyring,
    clock: Clock,
    guard: Guard,
    counters: Counters,
    mfa: MfaService,
    devices: DeviceService,
    refresh: RefreshService,
    verifiers: VerifierVault,
    srp_threads: anyio.CapacityLimiter,
    auth_events: AuthEventLog | None = None,
    risk: SignInRisk | None = None,
    triggers: ChallengeTriggers | None = None,
) -> AuthService:
    """`refresh`: REFRESH_TOKEN_AUTH's rule; `srp_threads`: the threads SRP's big-integer
    work runs in (see wiring.build_services); `risk`: threat protection at sign-in;
    `triggers`: the trigger dispatcher (CUSTOM_AUTH's functions)."""
    challenges = ChallengeSessions(ChallengeSessionSeal(keyring, clock), counters, clock)
    codes = CodeSteps(mfa, challenges)
    machine = SignInMachine(
        users,
        tokens,
        devices,
        codes,
        challenges,
        guard,
        clock,
        SignInEvents(auth_events),
        risk,
        SignInTriggers(triggers) if triggers is not None else None,
        UserMigration(triggers, users, clock) if triggers is not None else None,
    )
    srp = SrpSteps(
        SrpExchanges(keyring, clock, srp_threads),
        verifiers,
        users,
        devices,
        machine,
        challenges,
        guard,
    )
    user_auth = UserAuthSteps(machine, srp, codes, users, challenges, guard)
    functions = ChallengeFunctions(triggers)
    custom = CustomAuthSteps(machine, srp, users, challenges, guard, functions)
    steps = SignInSteps(challenges, codes, machine, srp, user_auth, custom)
    return AuthService(users, clients, tokens, sessions, guard, mfa, refresh, steps)
