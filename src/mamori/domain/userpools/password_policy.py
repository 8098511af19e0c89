"""The pool's password policy and the rule a password breaks."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

# Cognito: the special characters a policy counts (its documented set, plus space).
SPECIAL_CHARACTERS = frozenset("^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ")


class PasswordRule(StrEnum):
    """A rule of the policy, valued by Cognito's words for a password that breaks it."""

    LENGTH = "Password not long enough"
    LOWERCASE = "Password must have lowercase characters"
    UPPERCASE = "Password must have uppercase characters"
    NUMBERS = "Password must have numeric characters"
    SYMBOLS = "Password must have symbol characters"
    SPACES = "Password must not begin or end with a space"


@dataclass(frozen=True)
class PasswordPolicy:
    minimum_length: int = 8
    require_uppercase: bool = True
    require_lowercase: bool = True
    require_numbers: bool = True
    require_symbols: bool = True
    temporary_password_validity_days: int = 7
    password_history_size: int | None = None

    def violation(self, password: str) -> str | None:
        """Cognito's message for the first broken rule, or None when the password is allowed."""
        rule = self.broken_rule(password)
        return None if rule is None else "Password did not conform with policy: " + rule.value

    def broken_rule(self, password: str) -> PasswordRule | None:
        """The first rule `password` breaks (the hosted pages name it in the user's language)."""
        if len(password) < self.minimum_length:
            return PasswordRule.LENGTH
        if self.require_lowercase and not any(c.islower() for c in password):
            return PasswordRule.LOWERCASE
        if self.require_uppercase and not any(c.isupper() for c in password):
            return PasswordRule.UPPERCASE
        if self.require_numbers and not any(c.isdigit() for c in password):
            return PasswordRule.NUMBERS
        if self.require_symbols and not any(c in SPECIAL_CHARACTERS for c in password):
            return PasswordRule.SYMBOLS
        if password != password.strip():
            return PasswordRule.SPACES
        return None
