"""Sign-in: the state machine, MFA rules, remembered devices."""
