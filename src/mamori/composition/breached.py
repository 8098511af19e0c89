"""Builds compromised-credentials detection for wiring.py: the local breached-password corpus
(the operator's `breached_passwords_file`, else the list shipped with mamori) and, when
`pwned_passwords_api` is on, Pwned Passwords' range API on the shared HTTP client."""

from __future__ import annotations

from pathlib import Path

from mamori.adapters.breached.corpus import DEFAULT_CORPUS, CorpusError, CorpusFile
from mamori.adapters.breached.range_api import PwnedRangeApi
from mamori.adapters.http import OutboundHttp
from mamori.config import ConfigError, Settings
from mamori.services.security.breached import Corpora


def build_breached(settings: Settings, http: OutboundHttp) -> Corpora:
    """ConfigError when the configured file is not a corpus: found at start-up, not at the
    first sign-up."""
    configured = settings.breached_passwords_file
    try:
        local = CorpusFile(Path(configured) if configured else DEFAULT_CORPUS)
    except (OSError, CorpusError) as exc:
        raise ConfigError(f"breached_passwords_file: {exc}") from None
    online = None
    if settings.pwned_passwords_api:
        online = PwnedRangeApi(
            http.client(), settings.pwned_passwords_url, settings.pwned_passwords_timeout_seconds
        )
    return Corpora(local, online)
