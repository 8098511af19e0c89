"""What the hosted pages' tests share. Over HTTP: `hosted`, a pool with a domain and an OAuth
app client on the SQLite server (a module overrides it for other settings), and `http`, a
client for it. In the browser: `app`, the relying party the sign-ins return to, `site`, a pool
for it with every MFA factor on, `lang`, each of English and Japanese, and `page`, Chromium's
page in that language watched for console errors, CSP violations and failed loads."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page
from tests.support.browser_pages import LANGUAGES, mfa_site, relying_party, watched_page
from tests.support.hosted_pages import Hosted, hosted_client
from tests.support.live import Server
from tests.support.webapp import WebApp


@pytest.fixture(scope="module")
def hosted(sqlite_server: Server) -> Hosted:
    return hosted_client(sqlite_server)


@pytest.fixture()
def http(hosted: Hosted) -> Iterator[httpx.Client]:
    with hosted.http() as client:
        yield client


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebApp]:
    with relying_party(tmp_path_factory.mktemp("app")) as served:
        yield served


@pytest.fixture(scope="module")
def site(sqlite_server: Server, app: WebApp) -> Hosted:
    return mfa_site(sqlite_server, app.url)


@pytest.fixture(params=LANGUAGES)
def lang(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture()
def page(chromium: Browser, lang: str) -> Iterator[Page]:
    with watched_page(chromium, lang) as page:
        yield page
