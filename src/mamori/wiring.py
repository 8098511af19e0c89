"""The composition root: the only place that names concrete classes."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import timedelta

import anyio
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncEngine

from mamori.adapters.cores import FileCorePermits
from mamori.adapters.counters.redis import RedisCounters
from mamori.adapters.federation.oidc import HttpOidcRelyingParty
from mamori.adapters.geoip.maxmind import MaxMindGeoIp, NoGeoIp
from mamori.adapters.http import OutboundHttp
from mamori.adapters.issuers.oidc import OidcKeys
from mamori.adapters.store.sql.auth_events import SqlAuthEventStore
from mamori.adapters.store.sql.authorization_codes import SqlAuthorizationCodeStore
from mamori.adapters.store.sql.connection.direct import dispose
from mamori.adapters.store.sql.connection.engine import make_async_engine
from mamori.adapters.store.sql.connection.health import SqlReadiness
from mamori.adapters.store.sql.devices import SqlDeviceStore
from mamori.adapters.store.sql.groups import SqlGroupStore
from mamori.adapters.store.sql.identity_providers import SqlIdentityProviderStore
from mamori.adapters.store.sql.keys import SqlKeyStore
from mamori.adapters.store.sql.login_sessions import SqlLoginSessionStore
from mamori.adapters.store.sql.mfa import SqlMfaStore
from mamori.adapters.store.sql.outbox import SqlOutbox
from mamori.adapters.store.sql.pools import SqlClientStore, SqlPoolStore
from mamori.adapters.store.sql.resource_servers import SqlResourceServerStore as SqlScopes
from mamori.adapters.store.sql.risk_config import SqlRiskConfigStore
from mamori.adapters.store.sql.saml import SqlSamlStore
from mamori.adapters.store.sql.sessions import SqlCodeStore, SqlRefreshSessionStore
from mamori.adapters.store.sql.users import SqlUserStore
from mamori.composition.breached import build_breached
from mamori.composition.delivery import build_code_encryption, build_message_sender
from mamori.composition.federation import build_federation, build_saml
from mamori.composition.geoip import GeoIpPlaces, build_geoip
from mamori.composition.guard import build_counters, guard_policy
from mamori.composition.identity import build_identity_services
from mamori.composition.identity_providers import build_identity_providers
from mamori.composition.oauth import build_oauth
from mamori.composition.secrets import AdminCredentials
from mamori.composition.secrets import admin_credentials as admin_credentials
from mamori.composition.secrets import master_key as master_key
from mamori.composition.sign_in import build_auth
from mamori.composition.standalone import message_retention
from mamori.composition.standalone import purger_for as purger_for
from mamori.composition.standalone import signing_keys_for as signing_keys_for
from mamori.composition.threat_protection import build_threat_protection
from mamori.composition.token_endpoint import build_token_endpoint
from mamori.composition.triggers import build_triggers
from mamori.composition.userpools_oauth import build_pool_domains
from mamori.config import ConfigError, Settings
from mamori.crypto.aead import Keyring
from mamori.crypto.passwords import HashParams, PasswordHashing
from mamori.services.auth.devices import DeviceService
from mamori.services.auth.mfa import MfaService
from mamori.services.auth.refresh import RefreshService
from mamori.services.clock import SystemClock
from mamori.services.container import Services
from mamori.services.federation.inbound import InboundFederation
from mamori.services.health import Health
from mamori.services.outbox import OutboxService
from mamori.services.ports import Clock
from mamori.services.purge import Purger
from mamori.services.security.auth_events import AuthEventLog
from mamori.services.security.breached import CompromisedCredentialsCheck
from mamori.services.security.form_tokens import FormTokens
from mamori.services.security.guard import Guard
from mamori.services.security.hash_threads import HashThreads
from mamori.services.security.risk_config import RiskConfigService
from mamori.services.tokens.keys import KeyService
from mamori.services.tokens.pool_tokens import TokenService
from mamori.services.tokens.token_triggers import TokenTriggers
from mamori.services.userpools.clients import ClientService
from mamori.services.userpools.pools import PoolService
from mamori.services.users.accounts import UserAccounts
from mamori.services.users.admin_users import AdminUserService
from mamori.services.users.codes import CodeService
from mamori.services.users.groups import GroupService
from mamori.services.users.message_triggers import MessageTriggers
from mamori.services.users.migration import UserMigration
from mamori.services.users.recovery import RecoveryService
from mamori.services.users.self_service import SelfService
from mamori.services.users.sign_up import SignUpService
from mamori.services.users.sign_up_triggers import SignUpTriggers
from mamori.services.users.srp_verifiers import VerifierVault

log = logging.getLogger("mamori")


def hash_thread_count(cores: int | None) -> int:
    """Hashing threads per server process: one per core, whatever the number of processes.

    Keep-alive connections spread unevenly over `--workers` processes; with cores / workers
    threads each, the process holding most of them hashes on its share of the cores while
    another core sits idle (2 workers on 2 cores: 34-39 sign-ins/s instead of 62-68). With
    one thread per core in every process, whichever process holds the connections can use
    every core; hashes beyond that wait in HashThreads' queue, and memory in flight is at
    most cores x workers hashes (19 MiB each at OWASP's argon2id parameters).
    """
    return max(1, cores or 1)


def hash_threads_for(settings: Settings) -> HashThreads:
    """A process's hashing threads. With several processes, each hash takes one of the
    machine's per-core permits (`adapters/cores.py`): a process's own share of the cores
    (cores / workers threads) waits for one, its other threads are spares that hash only on
    a permit nobody holds, so a process holding most connections borrows idle cores while
    the machine never runs more hashes, nor argon2 memory, than one per core."""
    count = hash_thread_count(os.cpu_count())
    if settings.workers < 2:
        return HashThreads(count)
    own = max(1, count // settings.workers)
    permits = FileCorePermits(settings.data_dir / "cores", count)
    return HashThreads(count, permits=permits, spares=count - own)


@dataclass
class Runtime:
    services: Services
    engine: AsyncEngine
    credentials: AdminCredentials
    hash_threads: HashThreads
    http: OutboundHttp
    geoip: MaxMindGeoIp | NoGeoIp

    async def aclose(self) -> None:
        """Close the database engine and the hot-path connections opened beside it, the
        outbound HTTP connections and the GeoIP database, and stop the hashing threads."""
        self.hash_threads.close()
        await self.http.aclose()
        self.geoip.close()
        await dispose(self.engine)


def build_services(settings: Settings, clock: Clock | None = None) -> Runtime:
    clock = clock or SystemClock()
    keyring = Keyring(master_key(settings))
    engine = make_async_engine(settings.effective_database_url, settings.database_pool_size)
    hashing = PasswordHashing(
        HashParams(
            settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism
        )
    )
    outbox = SqlOutbox(engine)
    # One outbound HTTP client (connections kept alive) for STS, webhooks and OpenID issuers.
    http = OutboundHttp()
    email = build_message_sender(settings, "email_sender", "EMAIL", outbox, http)
    sms = build_message_sender(settings, "sms_sender", "SMS", outbox, http)
    # The pools' triggers: built before the services, which are given it.
    triggers = build_triggers(settings, http)
    user_store = SqlUserStore(engine)
    group_store = SqlGroupStore(engine)
    session_store = SqlRefreshSessionStore(engine)
    # RSA key generation and parsing (~70 ms each) run here, off the event loop: one thread
    # per core in every process, as for hashing (hash_thread_count says why not cores/workers);
    # no cross-process permits: key work is rare (new pools, rotation, cold caches) and small.
    key_threads = anyio.CapacityLimiter(hash_thread_count(os.cpu_count()))
    # One signing-key service for both issuers: the pools' and the identity issuer's keys.
    keys = KeyService(SqlKeyStore(engine), keyring, clock, key_threads)
    pool_store = SqlPoolStore(engine)
    pools = PoolService(pool_store, keys, clock, settings.region)
    clients = ClientService(
        SqlClientStore(engine, keyring),
        pools,
        clock,
        SqlScopes(engine),
        SqlIdentityProviderStore(engine, keyring),
    )
    risk_config = RiskConfigService(
        SqlRiskConfigStore(engine), pool_store, SqlClientStore(engine, keyring), clock
    )
    # The social providers' endpoints: what federation calls, and what Describe shows.
    provider_endpoints = settings.provider_endpoints
    tokens = TokenService(
        keys,
        session_store,
        user_store,
        group_store,
        keyring,
        clock,
        settings.effective_public_url,
        TokenTriggers(triggers),
    )
    counters = build_counters(settings, engine)
    guard = Guard(counters, clock, guard_policy(settings))
    code_store = SqlCodeStore(engine)
    codes = CodeService(
        code_store,
        email,
        sms,
        keyring,
        clock,
        timedelta(seconds=settings.code_ttl_seconds),
        guard,
        messages=MessageTriggers(triggers, build_code_encryption(settings)),
    )
    verifiers = VerifierVault(keyring)
    hash_threads = hash_threads_for(settings)
    users = UserAccounts(
        user_store,
        session_store,
        pools,
        codes,
        hashing,
        clock,
        verifiers,
        hash_threads=hash_threads,
        compromised=CompromisedCredentialsCheck(build_breached(settings, http), risk_config),
    )
    auth_event_store = SqlAuthEventStore(engine)
    # Opened here, so a damaged database stops the start; closed by Runtime.aclose.
    geoip = build_geoip(settings)
    auth_events = AuthEventLog(
        auth_event_store,
        pools,
        users,
        keyring,
        clock,
        timedelta(days=settings.auth_event_retention_days),
        GeoIpPlaces(geoip),
    )
    sign_up_triggers = SignUpTriggers(triggers)
    sign_up = SignUpService(
        users, user_store, clients, codes, clock, auth_events, triggers=sign_up_triggers
    )
    self_service = SelfService(users, pools, clients, tokens, guard, auth_events)
    admin_users = AdminUserService(
        users, user_store, session_store, pools, codes, clock, triggers=sign_up_triggers
    )
    groups = GroupService(group_store, pools, users, clock)
    mfa = MfaService(SqlMfaStore(engine, keyring), pool_store, pools, users, tokens, codes, clock)
    device_store = SqlDeviceStore(engine, keyring)
    devices = DeviceService(device_store, pools, users, tokens, clock)
    # Threat protection at sign-in: nothing is read for a pool with it OFF.
    takeover_notices, sign_in_risk = build_threat_protection(
        email,
        auth_events,
        keyring,
        clock,
        settings.effective_public_url,
        guard,
        risk_config,
        auth_event_store,
        device_store,
        geoip,
        counters,
        settings.effective_risk_weights,
        settings.effective_risk_windows,
    )
    recovery = RecoveryService(
        users,
        clients,
        pools,
        tokens,
        codes,
        auth_events,
        UserMigration(triggers, users, clock),
        triggers=sign_up_triggers,
    )
    # SRP's big-integer work has its own threads, apart from key_threads: every USER_SRP_AUTH
    # sign-in takes them, and a burst of CreateUserPool key generations must not queue it.
    srp_threads = anyio.CapacityLimiter(os.cpu_count() or 2)
    refresh = RefreshService(clients, tokens, session_store, clock, devices, SqlScopes(engine))
    auth = build_auth(
        users,
        clients,
        tokens,
        session_store,
        keyring,
        clock,
        guard,
        counters,
        mfa,
        devices,
        refresh,
        verifiers,
        srp_threads,
        auth_events,
        sign_in_risk,
        triggers=triggers,
    )
    identity = build_identity_services(
        settings, engine, clock, keys, session_store, user_store, tokens, http, provider_endpoints
    )
    # OIDC and Google providers' calls, and Facebook's and Login with Amazon's.
    relying_party = HttpOidcRelyingParty(
        http.client(),
        OidcKeys(http.client(), float(settings.sts_timeout_seconds)),
        float(settings.sts_timeout_seconds),
    )
    idps = build_identity_providers(engine, keyring, pools, clock, provider_endpoints)
    # SAML providers: pysaml2's xmlsec1 runs on the key threads, off the event loop.
    saml = build_saml(
        engine,
        keyring,
        clock,
        pools,
        users,
        idps["identity_providers"],
        http.client(),
        float(settings.sts_timeout_seconds),
        key_threads,
        sign_up_triggers,
        inbound := InboundFederation(triggers, pools),
    )
    services = Services(
        clock=clock,
        pools=pools,
        clients=clients,
        users=users,
        sign_up=sign_up,
        self_service=self_service,
        admin_users=admin_users,
        groups=groups,
        auth=auth,
        refresh=refresh,
        tokens=tokens,
        keys=keys,
        outbox=OutboxService(outbox),
        identity=identity,
        guard=guard,
        recovery=recovery,
        mfa=mfa,
        devices=devices,
        purger=Purger(
            session_store,
            code_store,
            outbox,
            message_retention(settings),
            clock,
            authorization_codes=SqlAuthorizationCodeStore(engine),
            login_sessions=SqlLoginSessionStore(engine),
            saml=SqlSamlStore(engine),
            auth_events=auth_event_store,
            auth_event_retention=timedelta(days=settings.auth_event_retention_days),
        ),
        auth_events=auth_events,
        risk_config=risk_config,
        takeover_notices=takeover_notices,
        triggers=triggers,
        health=Health(SqlReadiness(engine)),
        form_tokens=FormTokens(keyring),
        **build_pool_domains(engine, pools, clients, clock, settings.effective_auth_domain),
        **idps,
        **(
            oauth := build_oauth(
                engine,
                keyring,
                clock,
                pools,
                clients,
                users,
                tokens,
                session_store,
                SqlScopes(engine),
                settings.login_session_seconds,
                idps["identity_providers"],
            )
        ),
        federation=build_federation(
            engine,
            keyring,
            clock,
            pools,
            users,
            idps["identity_providers"],
            relying_party,
            provider_endpoints,
            relying_party,
            saml["saml"],
            sign_up_triggers,
            inbound,
        ),
        **saml,
        **build_token_endpoint(
            clients, users, tokens, auth, refresh, oauth["authorization_codes"], SqlScopes(engine)
        ),
    )
    return Runtime(services, engine, admin_credentials(settings), hash_threads, http, geoip)


async def check_redis(settings: Settings) -> None:
    """At start-up: ConfigError when redis_url names a server that does not answer."""
    counters = RedisCounters.from_url(settings.redis_url)
    try:
        await counters.ping()
    except (RedisError, OSError) as exc:
        raise ConfigError(f"redis_url: cannot reach Redis: {exc}") from exc
    finally:
        await counters.aclose()
