"""The geoip_database setting: empty by default (no GeoIP), a path that must be a file."""

from __future__ import annotations

from pathlib import Path

import pytest

from mamori.config import ConfigError, load_settings


def test_no_database_by_default() -> None:
    assert load_settings({}, environ={}).geoip_database == ""


def test_a_path_that_is_not_a_file_stops_the_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"geoip_database .* is not a file"):
        load_settings({"geoip_database": str(tmp_path / "absent.mmdb")}, environ={})
    with pytest.raises(ConfigError, match="is not a file"):
        load_settings({"geoip_database": str(tmp_path)}, environ={})


def test_a_file_is_taken_from_the_environment(tmp_path: Path) -> None:
    database = tmp_path / "GeoLite2-City.mmdb"
    database.write_bytes(b"")
    settings = load_settings({}, environ={"MAMORI_GEOIP_DATABASE": str(database)})
    assert settings.geoip_database == str(database)
