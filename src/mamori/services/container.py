"""The set of services one running mamori offers; wiring.py builds it."""

from __future__ import annotations

from dataclasses import dataclass

from mamori.domain.userpools.provider_endpoints import ProviderEndpoints
from mamori.services.auth.devices import DeviceService
from mamori.services.auth.mfa import MfaService
from mamori.services.auth.refresh import RefreshService
from mamori.services.auth.service import AuthService
from mamori.services.federation.oidc import OidcFederation
from mamori.services.federation.saml import SamlFederation
from mamori.services.federation.saml_keys import SamlKeys
from mamori.services.federation.saml_logout import SamlLogout
from mamori.services.health import Health
from mamori.services.identity.credentials import IdentityServices
from mamori.services.oauth.authorize import AuthorizeService
from mamori.services.oauth.codes import AuthorizationCodes
from mamori.services.oauth.grants import OAuthGrants
from mamori.services.oauth.introspection import TokenIntrospection
from mamori.services.oauth.login_sessions import LoginSessions
from mamori.services.oauth.userinfo import UserInfo
from mamori.services.outbox import OutboxService
from mamori.services.ports import Clock
from mamori.services.purge import Purger
from mamori.services.security.auth_events import AuthEventLog
from mamori.services.security.form_tokens import FormTokens
from mamori.services.security.guard import Guard
from mamori.services.security.risk_config import RiskConfigService
from mamori.services.security.takeover_notices import TakeoverNotices
from mamori.services.tokens.forward_auth import ForwardAuth
from mamori.services.tokens.keys import KeyService
from mamori.services.tokens.pool_tokens import TokenService
from mamori.services.triggers.dispatcher import Triggers
from mamori.services.userpools.branding import BrandingService
from mamori.services.userpools.clients import ClientService
from mamori.services.userpools.domains import DomainService
from mamori.services.userpools.identity_providers import IdentityProviderService
from mamori.services.userpools.pools import PoolService
from mamori.services.userpools.resource_servers import ResourceServerService
from mamori.services.users.accounts import UserAccounts
from mamori.services.users.admin_users import AdminUserService
from mamori.services.users.groups import GroupService
from mamori.services.users.provider_links import ProviderLinkService
from mamori.services.users.recovery import RecoveryService
from mamori.services.users.self_service import SelfService
from mamori.services.users.sign_up import SignUpService


@dataclass(frozen=True)
class Services:
    clock: Clock
    pools: PoolService
    clients: ClientService
    users: UserAccounts  # lookups and writes the other services share
    sign_up: SignUpService  # SignUp, ConfirmSignUp, ResendConfirmationCode
    self_service: SelfService  # the operations a user makes with an access token
    admin_users: AdminUserService  # the administrator's user operations (IAM-authorised)
    groups: GroupService
    auth: AuthService
    refresh: RefreshService  # GetTokensFromRefreshToken, the refresh_token grant
    tokens: TokenService
    keys: KeyService
    outbox: OutboxService  # the kept messages, as `/admin/outbox` reads them
    identity: IdentityServices  # identity pools (cognito-identity) and the identity issuer
    guard: Guard  # lockout and rate limits
    recovery: RecoveryService  # forgot password, attribute verification
    mfa: MfaService  # pool MFA configuration, users' factors and TOTP tokens
    devices: DeviceService  # remembered devices
    # deletes expired refresh sessions and codes, old outbox messages (`mamori purge`, periodic)
    purger: Purger
    health: Health  # readiness (`/health`)
    domains: DomainService  # user pool domains; which pool a hosted-domain Host is for
    resource_servers: ResourceServerService  # resource servers and their custom scopes
    branding: BrandingService  # UI customization, managed-login branding, a page's branding
    identity_providers: IdentityProviderService  # a pool's social, OIDC and SAML providers
    provider_endpoints: ProviderEndpoints  # the social providers' effective URLs (settings)
    provider_links: ProviderLinkService  # AdminLinkProviderForUser, AdminDisableProviderForUser
    form_tokens: FormTokens  # the hosted pages' CSRF tokens
    authorize: AuthorizeService  # /oauth2/authorize's checks and completion
    login_sessions: LoginSessions  # hosted-login sessions (the SSO cookie)
    authorization_codes: AuthorizationCodes  # issued by authorize, redeemed at /oauth2/token
    oauth_grants: OAuthGrants  # /oauth2/token's grants and /oauth2/revoke
    user_info: UserInfo  # /oauth2/userInfo
    introspection: TokenIntrospection  # /oauth2/introspect (RFC 7662, an extension)
    forward_auth: ForwardAuth  # a reverse proxy's per-request token check (/<poolId>/forward-auth)
    auth_events: AuthEventLog  # the auth-event log (AdminListUserAuthEvents, feedback)
    # threat protection's configuration (Set/DescribeRiskConfiguration) and what applies
    risk_config: RiskConfigService
    # account-takeover notification emails and their one-click feedback links
    takeover_notices: TakeoverNotices
    # the pools' triggers (LambdaConfig): services are given it by wiring, read it here
    triggers: Triggers
    # sign-in through a pool's OpenID Connect providers (/oauth2/idpresponse); None: none
    federation: OidcFederation | None = None
    # SAML providers' sign-in and logout (/saml2/*); None: not offered
    saml: SamlFederation | None = None
    saml_keys: SamlKeys | None = None  # the pools' SAML keys (GetSigningCertificate)
    saml_logout: SamlLogout | None = None  # SAML single logout (/logout, /saml2/logout)
