"""`mamori admin-credentials`: print the admin access key and secret (text or JSON)."""

from __future__ import annotations

import json

from mamori.config import Settings


def admin_credentials(settings: Settings, as_json: bool) -> int:
    from mamori.wiring import admin_credentials as stored_credentials

    creds = stored_credentials(settings)
    if as_json:
        print(
            json.dumps(
                {
                    "aws_access_key_id": creds.access_key_id,
                    "aws_secret_access_key": creds.secret_access_key,
                }
            )
        )
    else:
        print(f"aws_access_key_id     = {creds.access_key_id}")
        print(f"aws_secret_access_key = {creds.secret_access_key}")
    return 0
