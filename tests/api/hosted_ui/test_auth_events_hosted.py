"""The hosted sign-in page writes auth events as the API does (over HTTP against the live
server): a wrong password then the right one are two events, Fail then Pass, with the
browser's address and the device its User-Agent names."""

from __future__ import annotations

from typing import Any

import pytest
from tests.support.factories import PASSWORD, make_user
from tests.support.hosted_pages import hosted_client, page_url, submit
from tests.support.live import Server

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"


@pytest.mark.parametrize("mode", ["AUDIT", "OFF"])
def test_hosted_sign_ins_are_events(sqlite_server: Server, mode: str) -> None:
    hosted = hosted_client(sqlite_server, pool={"UserPoolAddOns": {"AdvancedSecurityMode": mode}})
    username = make_user(sqlite_server, hosted.pool_id)
    with hosted.http(headers={"User-Agent": FIREFOX}) as http:
        for password in ("Wr0ng-Password!", PASSWORD):
            page = http.get(page_url(hosted, "/login"))
            assert page.status_code == 200, page.text[:2000]
            submit(http, page, "login-form", username=username, password=password)
    admin = sqlite_server.admin()
    if mode == "OFF":
        with pytest.raises(admin.exceptions.UserPoolAddOnNotEnabledException):
            admin.admin_list_user_auth_events(UserPoolId=hosted.pool_id, Username=username)
        return
    listed: list[dict[str, Any]] = admin.admin_list_user_auth_events(
        UserPoolId=hosted.pool_id, Username=username
    )["AuthEvents"]
    assert [(e["EventType"], e["EventResponse"]) for e in listed] == [
        ("SignIn", "Pass"),
        ("SignIn", "Fail"),
    ]
    for event in listed:
        assert event["EventContextData"] == {
            "IpAddress": "127.0.0.1",
            "DeviceName": "Firefox 121, Linux",
        }
