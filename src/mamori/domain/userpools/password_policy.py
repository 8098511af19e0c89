"""The pool's password policy and the rule a password breaks."""

from __future__ import annotations

from dataclasses import dataclass

# Cognito: the special characters a policy counts (its documented set, plus space).
SPECIAL_CHARACTERS = frozenset("^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ")


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
        prefix = "Password did not conform with policy: "
        if len(password) < self.minimum_length:
            return prefix + "Password not long enough"
        if self.require_lowercase and not any(c.islower() for c in password):
            return prefix + "Password must have lowercase characters"
        if self.require_uppercase and not any(c.isupper() for c in password):
            return prefix + "Password must have uppercase characters"
        if self.require_numbers and not any(c.isdigit() for c in password):
            return prefix + "Password must have numeric characters"
        if self.require_symbols and not any(c in SPECIAL_CHARACTERS for c in password):
            return prefix + "Password must have symbol characters"
        if password != password.strip():
            return prefix + "Password must not begin or end with a space"
        return None
