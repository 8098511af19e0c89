"""Settings: one frozen, typed object, validated once. Defaults < TOML file < MAMORI_* env < CLI.

`settings.py` declares them, `validation.py` checks them, `loading.py` reads them.
"""

from mamori.config.loading import SECRET_SETTINGS, load_settings
from mamori.config.settings import LOOPBACK_HOSTS, ConfigError, Settings
from mamori.config.validation import parse_oidc_provider, parse_trigger_target

__all__ = [
    "LOOPBACK_HOSTS",
    "SECRET_SETTINGS",
    "ConfigError",
    "Settings",
    "load_settings",
    "parse_oidc_provider",
    "parse_trigger_target",
]
