"""The Settings object: every setting with its default, and the values derived from them."""

from __future__ import annotations

import ipaddress
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from mamori.domain.security.risk import RiskWeights, SignalWindows
from mamori.domain.userpools.provider_endpoints import ProviderEndpoints, parse_overrides


class ConfigError(ValueError):
    """A setting is missing or malformed; raised once, at start-up."""


LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 9229
    data_dir: Path = Path(".mamori")
    database_url: str = ""  # empty: SQLite file in data_dir
    # Connections per server process (and as many again under load); 0: 32 on PostgreSQL,
    # 16 on SQLite. Keep processes x 2 x pool_size under PostgreSQL's max_connections.
    database_pool_size: int = 0
    public_url: str = ""  # empty: http(s)://host:port
    region: str = "us-east-1"
    workers: int = 1
    tls_cert: str = ""
    tls_key: str = ""
    # X-Forwarded-For/-Proto are read only from these addresses (docs/security.md); "*": any
    # peer is one proxy, and the client is the address it appended (the right-most).
    trusted_proxies: tuple[str, ...] = ()
    # Origins browsers may call from. "*" is not served in emulator mode (accept_any_credentials),
    # where any page could otherwise act as the administrator: name the origins there.
    cors_origins: tuple[str, ...] = ("*",)
    # Host header values answered (names, any port); empty: public_url's host and the loopback
    # names. "*" answers any Host, and is refused in emulator mode (DNS rebinding).
    allowed_hosts: tuple[str, ...] = ()
    # The host user pools' prefix domains hang off (`<prefix>.<auth_domain>`, docs/oauth.md);
    # empty: "auth.localhost" when public_url's host is loopback or an IP address (browsers
    # resolve *.localhost to loopback), else "auth." + public_url's host.
    auth_domain: str = ""
    accept_any_credentials: bool = False
    # Slow clients: a request's head must arrive within header_timeout_seconds of the
    # connection opening (or of its first byte), its body within body_timeout_seconds.
    header_timeout_seconds: int = 10
    body_timeout_seconds: int = 30
    # A request's head (request line and headers) larger than this is answered 431 and closed:
    # uvicorn's httptools parser has no limit of its own.
    max_header_bytes: int = 64 * 1024
    admin_access_key_id: str = field(default="", repr=False)
    admin_secret_access_key: str = field(default="", repr=False)
    master_key: str = field(default="", repr=False)  # base64 of 32 bytes; empty: generated file
    max_body_bytes: int = 1024 * 1024
    # argon2id, OWASP's recommended minimum (m=19 MiB, t=2, p=1)
    argon2_time_cost: int = 2
    argon2_memory_kib: int = 19456
    argon2_parallelism: int = 1
    # Message delivery (docs/delivery.md): a sender id from the registry, built-in or a plugin's.
    email_sender: str = "outbox"  # outbox | smtp | ses | webhook
    sms_sender: str = "outbox"  # outbox | sns | webhook
    delivery_timeout_seconds: int = 10  # SMTP, SES, SNS and webhook calls
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_username: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_starttls: bool = False
    smtp_ca_file: str = ""  # PEM, trusted for STARTTLS besides the system's authorities
    smtp_from: str = "no-reply@mamori.local"
    # Amazon SNS / SES (or compatible endpoints); empty credentials: botocore's chain.
    sns_endpoint: str = ""
    sns_region: str = ""  # empty: region
    sns_access_key_id: str = field(default="", repr=False)
    sns_secret_access_key: str = field(default="", repr=False)
    ses_endpoint: str = ""
    ses_region: str = ""  # empty: region
    ses_access_key_id: str = field(default="", repr=False)
    ses_secret_access_key: str = field(default="", repr=False)
    ses_source: str = ""  # the verified From address; empty: smtp_from
    # Signed webhook (Standard Webhooks headers); the secret may be `whsec_<base64>`.
    webhook_url: str = field(default="", repr=False)  # its query may hold a token
    webhook_secret: str = field(default="", repr=False)
    webhook_ca_file: str = ""
    code_ttl_seconds: int = 24 * 3600
    # How long a hosted-login session (its cookie) lets /oauth2/authorize skip the form
    # (Cognito: one hour, fixed).
    login_session_seconds: int = 3600
    # How often each server process deletes expired refresh sessions and codes and old outbox
    # messages (`mamori purge` does it once); 0 turns it off. Several processes purging at once
    # is harmless.
    purge_interval_seconds: int = 3600
    # The purge deletes outbox messages older than this; 0 keeps them forever. They hold codes
    # and temporary passwords in clear. 7 days: longer than a code lives (code_ttl_seconds, 24 h)
    # and as long as a default temporary password (TemporaryPasswordValidityDays 7), so a
    # message is kept while what it carries can still be used. Pools that give invitations a
    # longer validity want a longer retention.
    outbox_retention_hours: int = 168
    # How long auth events (AdminListUserAuthEvents) are kept before the purge deletes them;
    # Cognito keeps them 90 days.
    auth_event_retention_days: int = 90
    # Threat protection's GeoIP (docs/threat-protection.md): a MaxMind-format database file
    # (GeoIP2 / GeoLite2 City or Country). Empty: no address has a location, so the risk
    # engine's new-country and impossible-travel signals are absent.
    geoip_database: str = ""
    # The risk engine's tuning (docs/threat-protection.md, Tuning): "<name>=<number>" entries
    # replacing RiskWeights' points and thresholds, and SignalWindows' windows in minutes
    # (user_failures, ip_failures, ip_users). In TOML also a table, in the environment also a
    # JSON object: MAMORI_RISK_WEIGHTS="new_device=40,high=60" or '{"new_device": 40}'.
    risk_weights: tuple[str, ...] = ()
    risk_window_minutes: tuple[str, ...] = ()
    # Compromised-credentials detection (docs/threat-protection.md): the breached-password
    # corpus `mamori breached build` made from the operator's list; empty: the 10,000 most
    # common passwords shipped with mamori. A file that is not a corpus stops the start.
    breached_passwords_file: str = ""
    # Also ask Pwned Passwords' range API when the local corpus does not list a password (only
    # five hex digits of its SHA-1 leave the machine, with Add-Padding); off by default. No
    # answer within the timeout counts as not breached.
    pwned_passwords_api: bool = False
    pwned_passwords_url: str = "https://api.pwnedpasswords.com/range/"
    pwned_passwords_timeout_seconds: int = 2
    log_level: str = "info"
    # Guessing protection (docs/security.md): counters in Redis when redis_url is set, so every
    # server process shares them; in the database otherwise. Rate limits are token buckets per
    # kind of request (sign-in, challenge answers, ChangePassword, sign-up, codes): a burst at
    # once, then so many per second, per client IP and per user; per_second 0 turns one off.
    redis_url: str = field(default="", repr=False)  # redis://[:password@]host:port/db
    lockout: bool = True  # Cognito's back-off after five failed sign-ins
    rate_limit_ip_per_second: int = 20
    rate_limit_ip_burst: int = 40
    rate_limit_user_per_second: int = 1
    rate_limit_user_burst: int = 10
    # Codes and invitations sent per hour (after a burst of up to 5), per user and per phone
    # number or email address; 0 turns one off. LimitExceededException beyond.
    code_sends_per_user_per_hour: int = 10
    code_sends_per_destination_per_hour: int = 10
    # The codes custom sender triggers get (docs/triggers.md, Messages): encrypted under this
    # local AES-256 key (base64 of 32 bytes) when set; else under the pool's KMSKeyID through
    # KMS at kms_endpoint (empty: AWS KMS in kms_region), signed with kms_access_key_id (empty:
    # botocore's own chain).
    custom_sender_key: str = field(default="", repr=False)
    kms_endpoint: str = ""
    kms_region: str = ""  # empty: region
    kms_access_key_id: str = field(default="", repr=False)
    kms_secret_access_key: str = field(default="", repr=False)
    # Identity pools. GetCredentialsForIdentity calls AssumeRoleWithWebIdentity at this STS
    # (empty: AWS STS in sts_region), SigV4-signed when sts_access_key_id is set.
    sts_endpoint: str = ""
    sts_region: str = ""  # empty: region
    sts_access_key_id: str = field(default="", repr=False)
    sts_secret_access_key: str = field(default="", repr=False)
    sts_timeout_seconds: int = 10
    identity_token_ttl_seconds: int = 600  # GetOpenIdToken tokens (Cognito: 10 minutes)
    identity_credentials_seconds: int = 3600  # DurationSeconds asked of STS
    # OpenID Connect issuers identity pools may name in OpenIdConnectProviderARNs, with the
    # client ids (audiences) accepted: "<issuer URL>|<client id>[|<client id>...]".
    oidc_providers: tuple[str, ...] = ()
    # The social providers' endpoints, overriding the well-known ones (a test stand-in, a
    # company proxy): "<provider>.<field>=<url>", provider google|facebook|amazon|apple, field
    # authorize_url|token_url|attributes_url|issuer|jwks_uri|token_info_url (docs/federation.md).
    federation_endpoints: tuple[str, ...] = ()
    # Triggers (docs/triggers.md, How triggers run). A pool's LambdaConfig names functions by
    # ARN; "<ARN>=<target>" entries send an ARN to an HTTP endpoint (http(s)://...) or a Python
    # callable (python:<module>:<function>, python:<entry point name>); other ARNs are called
    # through Lambda's Invoke API at lambda_endpoint (empty: AWS Lambda in the ARN's region,
    # or lambda_region), SigV4-signed with lambda_access_key_id (empty: botocore's chain).
    trigger_targets: tuple[str, ...] = ()
    trigger_timeout_seconds: int = 5  # Cognito: 5, fixed; each attempt of three
    trigger_http_secret: str = field(default="", repr=False)  # signs HTTP targets' requests
    trigger_http_ca_file: str = ""  # PEM, trusted for HTTP targets besides the system's CAs
    trigger_threads: int = 32  # plain (non-async) Python functions running at once
    lambda_endpoint: str = ""
    lambda_region: str = ""  # empty: the ARN's region
    lambda_access_key_id: str = field(default="", repr=False)
    lambda_secret_access_key: str = field(default="", repr=False)

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'mamori.db').resolve()}"

    @property
    def effective_public_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        scheme = "https" if self.tls_cert else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host  # an IPv6 literal (RFC 3986)
        return f"{scheme}://{host}:{self.port}"

    @property
    def effective_cors_origins(self) -> tuple[str, ...]:
        if self.accept_any_credentials:
            return tuple(o for o in self.cors_origins if o != "*")
        return self.cors_origins

    @property
    def effective_allowed_hosts(self) -> tuple[str, ...]:
        """Host names (lower case, IPv6 without brackets) this server answers; ("*",): any."""
        if self.allowed_hosts:
            return tuple(h.lower().strip("[]") for h in self.allowed_hosts)
        public = urllib.parse.urlsplit(self.effective_public_url).hostname or ""
        return tuple(dict.fromkeys(h for h in (public, *LOOPBACK_HOSTS) if h))

    @property
    def effective_auth_domain(self) -> str:
        if self.auth_domain:
            return self.auth_domain.lower().rstrip(".")
        public = urllib.parse.urlsplit(self.effective_public_url).hostname or ""
        if _is_address(public) or public in LOOPBACK_HOSTS or public.endswith(".localhost"):
            return "auth.localhost"
        return f"auth.{public.lower()}"

    @property
    def effective_sts_region(self) -> str:
        return self.sts_region or self.region

    @property
    def effective_sts_endpoint(self) -> str:
        return self.sts_endpoint or f"https://sts.{self.effective_sts_region}.amazonaws.com"

    @property
    def provider_endpoints(self) -> ProviderEndpoints:
        """The social providers' effective endpoints; ValueError names a malformed entry."""
        return ProviderEndpoints.with_overrides(parse_overrides(self.federation_endpoints))

    @property
    def effective_risk_weights(self) -> RiskWeights:
        """The defaults with `risk_weights` applied; ConfigError names a bad entry."""
        points = _numbers("risk_weights", self.risk_weights)
        try:
            return RiskWeights.from_mapping(points)
        except ValueError as exc:
            raise ConfigError(f"risk_weights: {exc}") from None

    @property
    def effective_risk_windows(self) -> SignalWindows:
        """The defaults with `risk_window_minutes` applied; ConfigError names a bad entry."""
        minutes = _numbers("risk_window_minutes", self.risk_window_minutes)
        try:
            return SignalWindows.from_minutes(minutes)
        except ValueError as exc:
            raise ConfigError(f"risk_window_minutes: {exc}") from None

    @property
    def identity_issuer(self) -> str:
        """The issuer of GetOpenIdToken tokens; STS must trust it as an OIDC provider."""
        return f"{self.effective_public_url}/identity"


def _numbers(setting: str, entries: tuple[str, ...]) -> dict[str, int]:
    """ "<name>=<whole number>" entries -> {name: number}; a name given twice is refused."""
    out: dict[str, int] = {}
    for entry in entries:
        name, sep, value = (part.strip() for part in entry.partition("="))
        if not sep or not name:
            raise ConfigError(f"{setting} entry {entry!r} is not <name>=<number>")
        if name in out:
            raise ConfigError(f"{setting}: {name} is given twice")
        try:
            out[name] = int(value)
        except ValueError:
            raise ConfigError(f"{setting}: {name} must be a whole number, got {value!r}") from None
    return out
