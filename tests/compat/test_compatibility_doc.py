"""docs/compatibility.md is generated, never stale, and its HTTP endpoints really answer."""

from __future__ import annotations

import ast
import base64
import importlib.util
import json
import re
import urllib.error
import urllib.request
from pathlib import Path
from types import ModuleType

from tests.support.factories import make_pool
from tests.support.live import Server

ROOT = Path(__file__).resolve().parents[2]


def compat_table() -> ModuleType:
    spec = importlib.util.spec_from_file_location("compat_table", ROOT / "scripts/compat_table.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_table_matches_the_generated_one() -> None:
    committed = (ROOT / "docs/compatibility.md").read_text(encoding="utf-8")
    assert committed == compat_table().render(), (
        "docs/compatibility.md is stale: run .venv/bin/python scripts/compat_table.py"
    )


def test_table_lists_every_model_operation_with_its_auth() -> None:
    text = compat_table().render()
    assert "| InitiateAuth | yes | public |" in text
    assert "| AdminCreateUser | yes | SigV4 |" in text
    assert "| GetId |" in text  # cognito-identity is listed too


def test_every_route_of_the_app_is_documented() -> None:
    tree = ast.parse((ROOT / "src/mamori/app.py").read_text(encoding="utf-8"))
    routes = {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", None) == "Route"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    }
    assert "/health" in routes

    def shape(path: str) -> str:
        return re.sub(r"\{[^}]*\}", "{}", path.split("?")[0])

    documented = {shape(path.split(" ", 1)[1]) for path, _, _ in compat_table().HTTP_ENDPOINTS}
    assert {shape(r) for r in routes} <= documented


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_documented_http_endpoints_answer(sqlite_server: Server) -> None:
    pool_id = make_pool(sqlite_server)["Id"]
    status, body = get(f"{sqlite_server.url}/health")
    assert (status, json.loads(body)) == (200, {"status": "ok"})
    status, body = get(f"{sqlite_server.url}/{pool_id}/.well-known/jwks.json")
    assert status == 200 and json.loads(body)["keys"]
    status, body = get(f"{sqlite_server.url}/{pool_id}/.well-known/openid-configuration")
    assert status == 200 and json.loads(body)["issuer"].endswith(f"/{pool_id}")
    status, body = get(f"{sqlite_server.url}/identity/.well-known/openid-configuration")
    assert status == 200 and json.loads(body)["jwks_uri"].endswith(
        "/identity/.well-known/jwks.json"
    )
    status, body = get(f"{sqlite_server.url}/identity/.well-known/jwks.json")
    assert status == 200 and json.loads(body)["keys"]
    status, _ = get(f"{sqlite_server.url}/admin/outbox")
    assert status == 401
    basic = base64.b64encode(
        f"{sqlite_server.access_key_id}:{sqlite_server.secret_access_key}".encode()
    ).decode()
    status, body = get(
        f"{sqlite_server.url}/admin/outbox?pool={pool_id}", {"Authorization": f"Basic {basic}"}
    )
    assert (status, json.loads(body)) == (200, {"messages": []})
