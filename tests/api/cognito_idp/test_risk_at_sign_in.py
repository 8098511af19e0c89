"""Threat protection at sign-in with boto3 against a live server that has a GeoIP database
(written here with mmdb-writer, read by MaxMind's reader as in production): the auth event's
City, Country and Timezone; the risk exceptions; the assessment recorded in the event; and the
AccountTakeover actions in ENFORCED mode. Addresses: the connection's (127.0.0.1) for
InitiateAuth, AdminInitiateAuth's ContextData.IpAddress for the others."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mmdb_writer import MMDBWriter
from netaddr import IPSet
from tests.support.factories import make_client, make_pool, make_user, sign_in
from tests.support.live import Server, run_server

LOOPBACK = {
    "city": {"names": {"en": "Loopville"}},
    "country": {"iso_code": "GB"},
    "location": {"latitude": 51.5, "longitude": -0.1, "time_zone": "Europe/London"},
}
LONDON = {
    "city": {"names": {"en": "London"}},
    "country": {"iso_code": "GB"},
    "location": {"latitude": 51.5142, "longitude": -0.0931, "time_zone": "Europe/London"},
}
TOKYO = {
    "city": {"names": {"en": "Tokyo"}},
    "country": {"iso_code": "JP"},
    "location": {"latitude": 35.6893, "longitude": 139.6899, "time_zone": "Asia/Tokyo"},
}


def write_database(path: Path) -> Path:
    writer = MMDBWriter(
        ip_version=6,
        ipv4_compatible=True,
        database_type="GeoIP2-City",
        languages=["en"],
        description="mamori test database",
    )
    for cidr, record in {
        "127.0.0.0/8": LOOPBACK,
        "192.0.2.0/24": LONDON,
        "198.51.100.0/24": TOKYO,
    }.items():
        writer.insert_network(IPSet([cidr]), record)
    writer.to_db_file(str(path))
    return path


@pytest.fixture(scope="module")
def geo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("risk")
    database = write_database(tmp / "city.mmdb")
    with run_server(tmp, "sqlite", extra_env={"MAMORI_GEOIP_DATABASE": str(database)}) as live:
        yield live


def protected_pool(server: Server, mode: str = "AUDIT", **risk: Any) -> tuple[str, str]:
    pool_id = make_pool(server, UserPoolAddOns={"AdvancedSecurityMode": mode})["Id"]
    if risk:
        server.admin().set_risk_configuration(UserPoolId=pool_id, **risk)
    return pool_id, make_client(server, pool_id)["ClientId"]


def events(server: Server, pool_id: str, username: str) -> list[dict[str, Any]]:
    out = server.admin().admin_list_user_auth_events(UserPoolId=pool_id, Username=username)
    return list(out["AuthEvents"])


def test_an_event_names_the_city_country_and_time_zone_of_its_address(
    geo_server: Server,
) -> None:
    pool_id, client_id = protected_pool(geo_server)
    username = make_user(geo_server, pool_id)
    sign_in(geo_server, client_id, username)
    (event,) = events(geo_server, pool_id, username)
    context = event["EventContextData"]
    assert context["IpAddress"] == "127.0.0.1"
    assert (context["City"], context["Country"], context["Timezone"]) == (
        "Loopville",
        "GB",
        "Europe/London",
    )
