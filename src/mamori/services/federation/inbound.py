"""InboundFederation: the pool's function shown what an OpenID Connect, social or SAML provider
said of a user before the provider's attribute mapping reads it, and answering the attributes to
map instead (docs/triggers.md, "Federation")."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from mamori.domain.errors import InvalidLambdaResponseException
from mamori.domain.ids import region_of
from mamori.domain.triggers import TriggerName, trigger_event
from mamori.domain.userpools.identity_providers import IdentityProvider, ProviderType
from mamori.domain.users.federated import ProviderIdentity, federated_username
from mamori.services.tokens.token_triggers import TriggerCalls
from mamori.services.userpools.pools import PoolService

SOURCE = "InboundFederation_ExternalProvider"


def _string_map(claims: Mapping[str, Any]) -> dict[str, str]:
    """Claims as the event's string maps carry them: a non-string value as its JSON."""
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in claims.items()}


class InboundFederation:
    def __init__(self, triggers: TriggerCalls, pools: PoolService) -> None:
        self._triggers = triggers
        self._pools = pools

    async def attributes(
        self,
        pool_id: str,
        client_id: str | None,
        provider: IdentityProvider,
        identity: ProviderIdentity,
        claims: Mapping[str, Any],
    ) -> Mapping[str, Any]:
        """The provider's claims the attribute mapping reads: the function's
        userAttributesToMap, or `claims` as they are (no function, or an empty answer). Its
        errors propagate: the sign-in ends at the client's callback (`redirect_refusal`)."""
        name = TriggerName.INBOUND_FEDERATION
        pool = await self._pools.require(pool_id)
        if self._triggers.function_for(pool, name) is None:
            return claims
        if provider.type is ProviderType.SAML:
            # A SAML provider's assertion attributes (a multi-valued one as its JSON list).
            attributes: dict[str, Any] = {"samlResponse": _string_map(claims)}
        else:
            # mamori holds the ID token's claims merged with userInfo's by the time it asks:
            # both members carry them (the token response is not kept).
            attributes = {"idToken": _string_map(claims), "userInfo": _string_map(claims)}
        request = {
            "providerName": provider.name,
            "providerType": provider.type.value,
            "attributes": attributes,
        }
        event = trigger_event(
            name,
            SOURCE,
            pool.id,
            region_of(pool.id),
            federated_username(identity),
            client_id,
            request,
            {"userAttributesToMap": None},
        )
        answered = await self._triggers.invoke(pool, name, event)
        if answered is None:
            return claims
        response = answered.get("response")
        if not isinstance(response, dict):
            raise InvalidLambdaResponseException()
        mapped = response.get("userAttributesToMap")
        if mapped is None or mapped == {}:
            return claims  # Cognito: an empty answer keeps every attribute as it was
        if not isinstance(mapped, dict) or not all(isinstance(v, str) for v in mapped.values()):
            raise InvalidLambdaResponseException(
                "Invalid lambda response: userAttributesToMap must map names to strings"
            )
        return mapped
