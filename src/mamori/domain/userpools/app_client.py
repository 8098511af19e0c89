"""App clients: which flows they may use, token lifetimes and attribute permissions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from mamori.domain.ids import ClientId, PoolId

_UNITS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}


@dataclass(frozen=True)
class TokenValidity:
    access: int = 60
    access_unit: str = "minutes"
    id: int = 60
    id_unit: str = "minutes"
    refresh: int = 30
    refresh_unit: str = "days"

    def access_ttl(self) -> timedelta:
        return timedelta(seconds=self.access * _UNITS[self.access_unit])

    def id_ttl(self) -> timedelta:
        return timedelta(seconds=self.id * _UNITS[self.id_unit])

    def refresh_ttl(self) -> timedelta:
        return timedelta(seconds=self.refresh * _UNITS[self.refresh_unit])


class OAuthFlow(StrEnum):
    """AllowedOAuthFlows."""

    CODE = "code"
    IMPLICIT = "implicit"
    CLIENT_CREDENTIALS = "client_credentials"


@dataclass(frozen=True)
class OAuthSettings:
    """The client's OAuth 2.0 settings, each as given (None: left out)."""

    flows: tuple[OAuthFlow, ...] | None = None  # AllowedOAuthFlows
    scopes: tuple[str, ...] | None = None  # AllowedOAuthScopes
    enabled: bool | None = None  # AllowedOAuthFlowsUserPoolClient
    callback_urls: tuple[str, ...] | None = None
    logout_urls: tuple[str, ...] | None = None
    default_redirect_uri: str | None = None
    identity_providers: tuple[str, ...] | None = None  # SupportedIdentityProviders


@dataclass(frozen=True)
class AnalyticsConfiguration:
    """Where AWS would send the client's sign-in events (Pinpoint): kept and reported."""

    application_id: str | None = None
    application_arn: str | None = None
    role_arn: str | None = None
    external_id: str | None = None
    user_data_shared: bool | None = None


@dataclass(frozen=True)
class AppClient:
    id: ClientId
    pool_id: PoolId
    name: str
    created: datetime
    modified: datetime
    secret: str | None = field(default=None, repr=False)
    explicit_auth_flows: tuple[str, ...] = ()
    token_validity: TokenValidity = TokenValidity()
    read_attributes: tuple[str, ...] = ()  # empty: all readable
    write_attributes: tuple[str, ...] = ()  # empty: all writable (but immutables)
    # Cognito: LEGACY (False) unless the request says ENABLED; only the console defaults on.
    prevent_user_existence_errors: bool = False
    enable_token_revocation: bool = True
    auth_session_validity_minutes: int = 3
    refresh_rotation: bool = False
    refresh_retry_grace_seconds: int = 0
    oauth: OAuthSettings = OAuthSettings()
    analytics: AnalyticsConfiguration | None = None
    # EnablePropagateAdditionalUserContextData, as given.
    propagate_user_context_data: bool | None = None

    def allows(self, flow: str) -> bool:
        flows = set(self.explicit_auth_flows)
        if not flows:
            # Cognito: a client with no ExplicitAuthFlows gets SRP and refresh and custom auth.
            flows = {"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_CUSTOM_AUTH"}
        if flow in flows:
            return True
        legacy = {
            "ALLOW_ADMIN_USER_PASSWORD_AUTH": "ADMIN_NO_SRP_AUTH",
            "ALLOW_USER_PASSWORD_AUTH": "USER_PASSWORD_AUTH",
            "ALLOW_CUSTOM_AUTH": "CUSTOM_AUTH_FLOW_ONLY",
        }
        if legacy.get(flow, "") in flows:
            return True
        # Cognito: clients on the legacy values always refresh, and sign in with SRP unless
        # CUSTOM_AUTH_FLOW_ONLY.
        if not any(f.startswith("ALLOW_") for f in flows):
            if flow == "ALLOW_REFRESH_TOKEN_AUTH":
                return True
            return flow == "ALLOW_USER_SRP_AUTH" and "CUSTOM_AUTH_FLOW_ONLY" not in flows
        return False

    @property
    def propagates_user_context_data(self) -> bool:
        """Cognito honours EnablePropagateAdditionalUserContextData only for a client with a
        secret: only its backend can prove it is the caller."""
        return self.secret is not None and bool(self.propagate_user_context_data)

    def can_read(self, attribute: str) -> bool:
        return not self.read_attributes or attribute in self.read_attributes or attribute == "sub"

    def can_write(self, attribute: str) -> bool:
        return not self.write_attributes or attribute in self.write_attributes
