"""Users of a pool: accounts, sign-up, self-service, the administrator's operations,
recovery, one-time codes, groups and SRP verifiers."""
