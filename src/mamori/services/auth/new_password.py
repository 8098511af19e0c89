"""The sign-in machine's NEW_PASSWORD_REQUIRED step: the challenge's prompt (the attributes a
user with a temporary password sees and must fill in) and its answer checked and applied, the
password screened, the Session spent before the write."""

from __future__ import annotations

import dataclasses

from mamori.domain.auth.answers import NewPasswordAnswer
from mamori.domain.auth.auth_flow import Proof
from mamori.domain.auth.prompts import ChallengePrompt
from mamori.domain.errors import InvalidParameterException, NotAuthorizedException
from mamori.domain.security.risk_config import RiskEvent
from mamori.domain.userpools.app_client import AppClient
from mamori.domain.userpools.user_pool import UserPool
from mamori.domain.users.user import User, UserStatus
from mamori.domain.users.user_rules import Writer, apply_changes, check_attributes, check_required
from mamori.services.auth.challenge_session import INVALID_SESSION
from mamori.services.auth.sign_in_state import ChallengeSessions, Proven, SignIn
from mamori.services.users.accounts import UserAccounts


class NewPasswordSteps:
    """SignInMachine's NEW_PASSWORD_REQUIRED step (services/auth/sign_in.py builds it)."""

    _users: UserAccounts
    _sessions: ChallengeSessions

    def _new_password_prompt(
        self, pool: UserPool, client: AppClient, user: User
    ) -> ChallengePrompt:
        # Cognito: userAttributes carries the verified flags too (clients must drop them
        # before answering), never sub.
        readable = {}
        for name, value in user.attributes.items():
            attr = pool.attribute(name)
            if name == "sub" or not client.can_read(name):
                continue
            if attr is not None and attr.developer_only:
                continue
            readable[name] = value
        required = tuple(
            a.name
            for a in pool.schema
            if a.required and a.name != "sub" and not user.attributes.get(a.name)
        )
        return ChallengePrompt(user_attributes=readable, required_attributes=required)

    async def new_password(
        self,
        pool: UserPool,
        client: AppClient,
        user: User,
        sign_in: SignIn,
        answer: NewPasswordAnswer,
    ) -> Proven:
        if user.status is not UserStatus.FORCE_CHANGE_PASSWORD:
            # Answered already: the session is spent.
            raise NotAuthorizedException(INVALID_SESSION)
        password = answer.new_password
        if not password:
            raise InvalidParameterException("Missing required parameter NEW_PASSWORD")
        changes = {k: v for k, v in answer.attributes.items() if user.attributes.get(k) != v}
        for name in changes:
            attr = pool.attribute(name)
            if attr is not None and attr.required and user.attributes.get(name):
                # Cognito: the answer may fill in required attributes, not change them.
                raise InvalidParameterException(
                    f"Cannot modify the required attribute {name}, which already has a value."
                )
        check_attributes(pool, changes, Writer.USER, client)
        attrs = apply_changes(pool, user.attributes, changes, verify_changed=True)
        check_required(pool, attrs)
        await self._users.screen_password(pool, client.id, RiskEvent.PASSWORD_CHANGE, password)
        # Spent before the write: of two concurrent answers only one sets a password.
        await self._sessions.answered(sign_in, client)
        changed = await self._users.with_password(pool, user, password, UserStatus.CONFIRMED)
        saved = await self._users.save(pool, dataclasses.replace(changed, attributes=attrs))
        return Proven(saved, sign_in.proving(Proof.NEW_PASSWORD))
