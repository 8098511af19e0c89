"""Sign-in: InitiateAuth and RespondToAuthChallenge (the sign-in machine and its steps: SRP,
USER_AUTH, MFA codes, devices), the challenge Session, MFA settings and remembered devices."""
