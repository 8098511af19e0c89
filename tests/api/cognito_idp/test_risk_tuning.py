"""The risk engine's tuning settings reach the sign-in: the same sign-ins against a server with
the default weights and one started with `MAMORI_RISK_WEIGHTS` (a JSON object, as an operator
writes it; `mamori serve` hands it on to its worker as entries). A new browser at a known
address is new_device alone: 25 points by default (Low, let through), 80 here (High, refused
by ENFORCED's BLOCK at High), and the log line that says why."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError
from tests.api.cognito_idp.test_risk_at_sign_in import (
    BLOCKED,
    CHROME,
    FIREFOX,
    HOME,
    admin_sign_in,
    events,
    protected_pool,
    risk_of,
    takeover,
)
from tests.support.cognito import error
from tests.support.factories import make_user
from tests.support.live import Server, run_server


@pytest.fixture(scope="module")
def default_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with run_server(tmp_path_factory.mktemp("risk-default"), "sqlite") as live:
        yield live


@pytest.fixture(scope="module")
def tuned_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tuning = {
        "MAMORI_RISK_WEIGHTS": '{"new_device": 80}',
        "MAMORI_RISK_WINDOW_MINUTES": "ip_users=120",
        "MAMORI_LOG_LEVEL": "info",  # the assessments' log lines
    }
    with run_server(tmp_path_factory.mktemp("risk-tuned"), "sqlite", extra_env=tuning) as live:
        yield live


def new_browser_at_home(server: Server) -> tuple[str, str, str, str]:
    """(pool, client, user, address) after a sign-in from home with Chrome; ENFORCED, BLOCK at
    High."""
    pool_id, client_id = protected_pool(
        server,
        "ENFORCED",
        AccountTakeoverRiskConfiguration=takeover("NO_ACTION", "NO_ACTION", "BLOCK"),
    )
    username = make_user(server, pool_id)
    admin_sign_in(server, pool_id, client_id, username, HOME, CHROME)
    return pool_id, client_id, username, HOME


def test_by_default_a_new_device_alone_is_low(default_server: Server) -> None:
    pool_id, client_id, username, home = new_browser_at_home(default_server)
    result = admin_sign_in(default_server, pool_id, client_id, username, home, FIREFOX)
    assert "AuthenticationResult" in result
    assert risk_of(events(default_server, pool_id, username)[0]) == ("AccountTakeover", "Low")


def test_a_raised_weight_makes_it_high_and_refused(tuned_server: Server) -> None:
    pool_id, client_id, username, home = new_browser_at_home(tuned_server)
    with pytest.raises(ClientError) as refused:
        admin_sign_in(tuned_server, pool_id, client_id, username, home, FIREFOX)
    assert error(refused) == BLOCKED
    refusal = events(tuned_server, pool_id, username)[0]
    assert (refusal["EventResponse"], risk_of(refusal)) == ("Fail", ("Block", "High"))
    # The log line an operator tunes by: under the event's id, every reason with its points.
    assert tuned_server.log_path is not None
    (line,) = [
        line
        for line in tuned_server.log_path.read_text().splitlines()
        if refusal["EventId"] in line
    ]
    assert line == (
        f"risk: pool {pool_id} event {refusal['EventId']}: High (score 80): new_device +80 "
        "(device not seen in this user's sign-ins); action BLOCK, configured BLOCK"
    )
    # The browser it knows still passes: only the weight changed, not what is seen.
    assert "AuthenticationResult" in admin_sign_in(
        tuned_server, pool_id, client_id, username, home, CHROME
    )


def test_a_bad_weight_stops_the_start(tmp_path_factory: pytest.TempPathFactory) -> None:
    tmp = tmp_path_factory.mktemp("risk-bad")
    with (
        pytest.raises(RuntimeError, match="risk_weights: unknown risk weight 'new_devise'"),
        run_server(tmp, "sqlite", extra_env={"MAMORI_RISK_WEIGHTS": "new_devise=80"}),
    ):
        pass
