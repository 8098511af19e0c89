"""Ready-made functions and tools that sit beside the server and import nothing from it.

`cognito_migration.py`: a UserMigration (and PostAuthentication) function that moves users from
an Amazon Cognito user pool one sign-in at a time; `cognito_import.py`: the copy of a pool's
settings, app clients, resource servers and groups behind `mamori import-cognito`, and
`cognito_users.py`: the users' export and the end-of-migration sweep (docs/migrating.md).
"""
