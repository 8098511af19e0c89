"""mamori-verify installs and works without the server: its wheel (packaging/mamori-verify/,
built with hatchling from src/mamori/verify/) goes into a fresh venv with its dependencies from
the package index, and a token is verified there against a stand-in JWKS. Slow-ish (~30-60 s:
a build, a venv, cryptography's wheel); it stays in the suite because nothing else proves the
"installable on its own" promise. Plus: the import-linter contract names every other part of
mamori, so a new top-level package cannot slip past it."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import venv
from pathlib import Path

import pytest
from tests.verify.issuer import CLIENT, serve_issuer

import mamori

ROOT = Path(__file__).parents[2]
PACKAGE = ROOT / "packaging" / "mamori-verify"

SCRIPT = """
import asyncio, importlib.util, sys
import mamori
from mamori.verify import Verifier, WrongAudience
# An implicit namespace package here: no server, no mamori/__init__.py.
assert getattr(mamori, "__file__", None) is None, mamori.__file__
assert importlib.util.find_spec("mamori.app") is None
assert importlib.util.find_spec("starlette") is None
issuer, client, token = sys.argv[1:4]
verifier = Verifier(issuer, client_ids=[client])
claims = verifier.verify(token, scopes=["orders/read"])
assert asyncio.run(verifier.averify(token)) == claims
try:
    Verifier(issuer, client_ids=["someone-else"]).verify(token)
except WrongAudience:
    pass
else:
    raise SystemExit("another client's verifier accepted the token")
from mamori.verify.lambda_authorizer import lambda_authorizer
answer = lambda_authorizer(verifier)({"type": "TOKEN", "authorizationToken": token,
    "methodArn": "arn:aws:execute-api:eu-west-1:1:api/prod/GET/x"}, None)
print(claims["sub"], answer["policyDocument"]["Statement"][0]["Effect"])
"""


def _run(*args: str | Path, cwd: Path | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=500, cwd=cwd
    )
    assert done.returncode == 0, f"{args}: {done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return done.stdout


def test_wheel_installs_and_verifies_without_the_server(tmp_path: Path) -> None:
    try:
        venv.EnvBuilder(with_pip=True).create(tmp_path / "venv")
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(
            f"cannot create a venv with pip here ({exc}): the standalone install is unproved"
        )
    python = tmp_path / "venv" / "bin" / "python"
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", PACKAGE, "-w", tmp_path / "dist")
    (wheel,) = (tmp_path / "dist").glob("mamori_verify-*.whl")
    _run(python, "-m", "pip", "install", "-q", "--disable-pip-version-check", wheel)
    installed = _run(python, "-m", "pip", "list", "--format=freeze")
    assert "mamori-verify==0.1.0" in installed and "\nmamori==" not in "\n" + installed
    with serve_issuer() as issuer:
        token = issuer.token(scope="orders/read")
        # Run outside the repository, so nothing of src/ is on the path.
        out = _run(python, "-I", "-c", SCRIPT, issuer.issuer, CLIENT, token, cwd=tmp_path)
    assert out.split() == ["7f2c1e2a-0000-4000-8000-000000000001", "Allow"]
    assert issuer.fetches == 2  # one per Verifier in the script


def test_the_contract_forbids_every_other_part_of_mamori() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    (contract,) = [
        c
        for c in config["tool"]["importlinter"]["contracts"]
        if c["name"] == "the verifier stands alone"
    ]
    assert contract["source_modules"] == ["mamori.verify"]
    source = Path(mamori.__file__).parent
    parts = {
        f"mamori.{p.stem if p.is_file() else p.name}"
        for p in source.iterdir()
        if (p.suffix == ".py" and p.name != "__init__.py") or (p / "__init__.py").exists()
    }
    missing = parts - {"mamori.verify"} - set(contract["forbidden_modules"])
    assert not missing, (
        f"add {sorted(missing)} to forbidden_modules of the import-linter contract 'the "
        "verifier stands alone' in pyproject.toml: mamori.verify must not import them"
    )
