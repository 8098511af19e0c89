"""The `mamori` command and its settings: serve flags, env, TOML, TLS, proxies, outbox, migrate."""

from __future__ import annotations

import base64
import ipaddress
import json
import os
import secrets
import ssl
import stat
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from tests.support.db import rows
from tests.support.factories import PASSWORD, make_client, make_pool, make_user, sign_in
from tests.support.live import (
    CHEAP_HASHING,
    Server,
    create_pg_database,
    drop_pg_database,
    run_server,
)

from mamori.config import ConfigError, Settings, load_settings
from mamori.crypto.aead import Keyring

MAMORI = [sys.executable, "-m", "mamori.cli"]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAMORI_")}
    return {**env, **CHEAP_HASHING, **extra}


def mamori(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MAMORI, *args],
        env=env or clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def log_lines(server: Server) -> list[dict[str, Any]]:
    assert server.log_path is not None
    lines = []
    for line in server.log_path.read_text().splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def line_for(server: Server, request_id: str) -> dict[str, Any]:
    """The log line of one request; written once the response is sent, so it may lag a bit."""
    deadline = time.monotonic() + 10
    while True:
        found = [x for x in log_lines(server) if x.get("request_id") == request_id]
        if found or time.monotonic() > deadline:
            (line,) = found
            return line
        time.sleep(0.02)


# --- settings: precedence and validation, in this process --------------------------------------


def test_precedence_defaults_toml_env_cli(tmp: Path) -> None:
    config = tmp / "mamori.toml"
    config.write_text(
        '[mamori]\nport = 9001\nregion = "eu-west-1"\npublic_url = "https://toml.example"\n'
        'cors_origins = ["https://toml.example"]\nworkers = 3\n'
    )
    env = {"MAMORI_PUBLIC_URL": "https://env.example", "MAMORI_WORKERS": "2"}
    settings = load_settings({"workers": 4, "host": None}, environ=env, config_file=config)
    assert settings.host == Settings().host  # default: not in TOML, env or flags
    assert settings.port == 9001  # TOML
    assert settings.region == "eu-west-1"
    assert settings.cors_origins == ("https://toml.example",)
    assert settings.public_url == "https://env.example"  # env beats TOML
    assert settings.workers == 4  # a flag beats env
    # MAMORI_CONFIG names the file when --config does not.
    assert load_settings(environ={"MAMORI_CONFIG": str(config)}).port == 9001
    # A file without a [mamori] table is read at its top level.
    (tmp / "flat.toml").write_text("port = 9002\n")
    assert load_settings(environ={}, config_file=tmp / "flat.toml").port == 9002


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"MAMORI_PORT": "http"}, "setting port"),
        ({"MAMORI_PORT": "0"}, "port must be between"),
        ({"MAMORI_ACCEPT_ANY_CREDENTIALS": "perhaps"}, "accept_any_credentials"),
        ({"MAMORI_LOG_LEVEL": "loud"}, "log_level"),
        ({"MAMORI_MASTER_KEY": base64.b64encode(b"short").decode()}, "32 bytes"),
        ({"MAMORI_MASTER_KEY": "not base64!"}, "base64"),
        ({"MAMORI_TRUSTED_PROXIES": "10.0.0.0/8,proxy.local"}, "trusted_proxies"),
        ({"MAMORI_CORS_ORIGINS": "app.example.com"}, "cors_origins"),
        ({"MAMORI_PUBLIC_URL": "id.example.com"}, "public_url"),
        ({"MAMORI_DATABASE_URL": "mysql://db/mamori"}, "database_url"),
        ({"MAMORI_REGION": "mars"}, "region"),
        ({"MAMORI_ADMIN_ACCESS_KEY_ID": "AKIDONLY"}, "given together"),
        ({"MAMORI_TLS_CERT": "/some/cert.pem"}, "given together"),
        ({"MAMORI_EMAIL_SENDER": "Carrier Pigeon"}, "email_sender"),
        ({"MAMORI_FEDERATION_ENDPOINTS": "google.token_url"}, "federation_endpoints entry"),
        ({"MAMORI_FEDERATION_ENDPOINTS": "gogle.token_url=http://x"}, "unknown federation"),
        ({"MAMORI_FEDERATION_ENDPOINTS": "apple.jwks_uri=file:///k"}, "not an http(s) URL"),
    ],
)
def test_bad_settings_are_refused(env: dict[str, str], needle: str) -> None:
    with pytest.raises(ConfigError) as exc:
        load_settings(environ=env)
    assert needle in str(exc.value)


def test_secrets_are_not_echoed_in_errors() -> None:
    with pytest.raises(ConfigError) as exc:
        load_settings(environ={"MAMORI_MASTER_KEY": "hunter2-hunter2"})
    assert "hunter2" not in str(exc.value)
    assert "hunter2" not in repr(
        load_settings(
            environ={
                "MAMORI_ADMIN_ACCESS_KEY_ID": "AKID",
                "MAMORI_ADMIN_SECRET_ACCESS_KEY": "hunter2",
            }
        )
    )


# --- serve: failing at start -------------------------------------------------------------------


def test_bad_settings_fail_serve_with_a_message_not_a_traceback(tmp: Path) -> None:
    bad_toml = tmp / "bad.toml"
    bad_toml.write_text("port = [unclosed\n")
    unknown = tmp / "unknown.toml"
    unknown.write_text("[mamori]\nspeed = 11\n")
    wrong_type = tmp / "wrong.toml"
    wrong_type.write_text('[mamori]\nport = "eighty"\n')
    garbage_cert = tmp / "garbage.pem"
    garbage_cert.write_text("not a certificate")
    data = ["--data-dir", str(tmp / "data")]
    cases: list[tuple[list[str], dict[str, str], str]] = [
        ([*data, "--port", "70000"], {}, "port must be between 1 and 65535"),
        (data, {"MAMORI_PORT": "eighty"}, "setting port"),
        (data, {"MAMORI_MASTER_KEY": "c2hvcnQ="}, "master_key must decode to 32 bytes"),
        ([*data, "--config", str(bad_toml)], {}, "cannot read config file"),
        ([*data, "--config", str(unknown)], {}, "unknown setting 'speed'"),
        ([*data, "--config", str(wrong_type)], {}, "setting port"),
        ([*data, "--config", str(tmp / "absent.toml")], {}, "cannot read config file"),
        (
            [*data, "--tls-cert", str(tmp / "absent.pem"), "--tls-key", str(tmp / "absent.key")],
            {},
            "tls_cert/tls_key: cannot load",
        ),
        (
            [*data, "--tls-cert", str(garbage_cert), "--tls-key", str(garbage_cert)],
            {},
            "tls_cert/tls_key: cannot load",
        ),
        ([*data, "--tls-cert", str(garbage_cert)], {}, "given together"),
        ([*data, "--database-url", "mysql://db/x"], {}, "database_url must start with"),
        (
            [*data, "--database-url", "postgresql://mamori:s3cret-pw@127.0.0.1:1/nothing"],
            {},
            "database postgresql://mamori:***@127.0.0.1:1/nothing",
        ),
        ([*data, "--trusted-proxies", "everyone"], {}, "trusted_proxies"),
        ([*data, "--public-url", "ftp://files"], {}, "public_url"),
    ]
    running = [
        (
            subprocess.Popen(
                [*MAMORI, "serve", *args],
                env=clean_env(**env),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            ),
            needle,
        )
        for args, env, needle in cases
    ]
    for process, needle in running:
        out, err = process.communicate(timeout=60)
        assert process.returncode == 2, (needle, out, err)
        assert err.startswith("mamori: "), err
        assert needle in err, err
        assert "Traceback" not in err + out
        assert "s3cret-pw" not in err + out


# --- serve: public URL, request log, trusted proxies ---------------------------------------------

PUBLIC = "https://id.example.test/auth"


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A server behind a (pretend) proxy at 127.0.0.1, with a public URL and request logs."""
    with run_server(
        tmp_path_factory.mktemp("proxied"),
        extra_env={"MAMORI_LOG_LEVEL": "info"},
        args=("--host", "127.0.0.1", "--public-url", PUBLIC, "--trusted-proxies", "127.0.0.1"),
    ) as live:
        yield live


def test_public_url_is_the_issuer_and_prefixes_the_jwks_path(proxied: Server) -> None:
    pool = make_pool(proxied)
    client = make_client(proxied, pool["Id"])
    username = make_user(proxied, pool["Id"])
    tokens = sign_in(proxied, client["ClientId"], username)
    issuer = f"{PUBLIC}/{pool['Id']}"

    discovery = httpx.get(f"{proxied.url}/{pool['Id']}/.well-known/openid-configuration").json()
    assert discovery["issuer"] == issuer
    assert discovery["jwks_uri"] == f"{issuer}/.well-known/jwks.json"
    # The proxy strips the public prefix: the server serves the JWKS at /<poolId>/...
    jwks = httpx.get(f"{proxied.url}/{pool['Id']}/.well-known/jwks.json").json()
    keys = {k["kid"]: k for k in jwks["keys"]}
    for name in ("IdToken", "AccessToken"):
        token = tokens[name]
        key = jwt.PyJWK.from_dict(keys[jwt.get_unverified_header(token)["kid"]])
        claims = jwt.decode(
            token, key.key, algorithms=["RS256"], options={"verify_aud": False}, issuer=issuer
        )
        assert claims["iss"] == issuer


def test_request_log_lines(proxied: Server) -> None:
    response = proxied.admin().list_user_pools(MaxResults=1)
    request_id = response["ResponseMetadata"]["RequestId"]
    line = line_for(proxied, request_id)
    assert line["operation"] == "ListUserPools"
    assert line["status"] == 200
    assert line["method"] == "POST" and line["path"] == "/"
    with pytest.raises(ClientError) as exc:
        proxied.admin().describe_user_pool(UserPoolId="us-east-1_Missing00")
    failed = line_for(proxied, exc.value.response["ResponseMetadata"]["RequestId"])
    assert (failed["operation"], failed["error"]) == (
        "DescribeUserPool",
        "ResourceNotFoundException",
    )


def test_forwarded_for_is_honoured_from_a_trusted_proxy(proxied: Server) -> None:
    response = httpx.get(proxied.url + "/health", headers={"X-Forwarded-For": "203.0.113.7"})
    assert line_for(proxied, response.headers["x-amzn-RequestId"])["client"] == "203.0.113.7"
    plain = httpx.get(proxied.url + "/health")
    assert line_for(proxied, plain.headers["x-amzn-RequestId"])["client"] == "127.0.0.1"


def test_no_secret_reaches_the_log(proxied: Server) -> None:
    pool = make_pool(proxied)
    client = make_client(proxied, pool["Id"], GenerateSecret=True)
    password = "Log-" + secrets.token_urlsafe(12) + "!1a"
    temporary = "Tmp-" + secrets.token_urlsafe(12) + "!1a"
    admin = proxied.admin()
    admin.admin_create_user(
        UserPoolId=pool["Id"],
        Username="logged",
        TemporaryPassword=temporary,
        MessageAction="SUPPRESS",
    )
    admin.admin_set_user_password(
        UserPoolId=pool["Id"], Username="logged", Password=password, Permanent=True
    )
    with pytest.raises(ClientError) as exc:
        proxied.public().initiate_auth(
            ClientId=client["ClientId"],
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "logged", "PASSWORD": password, "SECRET_HASH": "x"},
        )
    last = line_for(proxied, exc.value.response["ResponseMetadata"]["RequestId"])
    assert last["operation"] == "InitiateAuth"
    assert proxied.log_path is not None
    log = proxied.log_path.read_text()
    for secret in (password, temporary, client["ClientSecret"], proxied.secret_access_key):
        assert secret not in log
    # ...while the requests themselves were logged, one line each.
    operations = [x.get("operation") for x in log_lines(proxied)]
    assert "AdminSetUserPassword" in operations and "InitiateAuth" in operations


# --- serve: TLS, untrusted proxies ---------------------------------------------------------------


def self_signed(tmp: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mamori test")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_tls_and_an_untrusted_proxy(tmp: Path) -> None:
    cert, key = self_signed(tmp)
    args = ("--tls-cert", str(cert), "--tls-key", str(key), "--trusted-proxies", "10.9.9.9")
    with run_server(tmp, extra_env={"MAMORI_LOG_LEVEL": "info"}, args=args) as live:
        assert live.url.startswith("https://")
        admin = live.admin(verify=str(cert))
        pool = admin.create_user_pool(PoolName="over-tls")["UserPool"]
        assert admin.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]["Name"] == "over-tls"
        with pytest.raises(httpx.ConnectError):
            httpx.get(live.url + "/health")  # the certificate is not trusted by default
        with pytest.raises(httpx.TransportError):
            httpx.get(live.url.replace("https://", "http://") + "/health", timeout=1)
        trusting = ssl.create_default_context(cafile=str(cert))
        response = httpx.get(
            live.url + "/health", verify=trusting, headers={"X-Forwarded-For": "203.0.113.9"}
        )
        assert response.status_code == 200
        # Not from a trusted proxy: the header is ignored.
        assert line_for(live, response.headers["x-amzn-RequestId"])["client"] == "127.0.0.1"
        # Tokens name the https issuer when no public URL is set.
        client = make_client_with(admin, pool["Id"])
        username = "tls-user"
        admin.admin_create_user(UserPoolId=pool["Id"], Username=username, MessageAction="SUPPRESS")
        admin.admin_set_user_password(
            UserPoolId=pool["Id"], Username=username, Password=PASSWORD, Permanent=True
        )
        result = admin.admin_initiate_auth(
            UserPoolId=pool["Id"],
            ClientId=client,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
        )
        claims = jwt.decode(
            result["AuthenticationResult"]["IdToken"], options={"verify_signature": False}
        )
        assert claims["iss"] == f"{live.url}/{pool['Id']}"
        admin.close()  # an idle TLS connection would hold the server's shutdown


def make_client_with(admin: Any, pool_id: str) -> str:
    created = admin.create_user_pool_client(
        UserPoolId=pool_id, ClientName="tls", ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH"]
    )
    return str(created["UserPoolClient"]["ClientId"])


# --- serve: config file and environment, through to the worker processes ------------------------


def workers_of(pid: int) -> list[int]:
    """Worker processes uvicorn's supervisor `pid` started (multiprocessing spawn children)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if int(fields[1]) == pid and b"spawn_main" in command:
                found.append(int(entry.name))
    return found


def test_two_workers_get_the_toml_env_and_flag_settings(tmp: Path) -> None:
    config = tmp / "mamori.toml"
    config.write_text(
        '[mamori]\nregion = "eu-west-1"\npublic_url = "https://toml.example"\n'
        'cors_origins = ["https://toml.example"]\n'
    )
    env = {
        "MAMORI_CORS_ORIGINS": "https://env.example",
        "MAMORI_PUBLIC_URL": "https://env.example",
    }
    args = ("--config", str(config), "--workers", "2", "--public-url", "https://cli.example")
    with run_server(tmp, extra_env=env, args=args) as live:
        assert live.process is not None
        workers = workers_of(live.process.pid)
        assert len(workers) == 2
        pools = [make_pool(live)["Id"] for _ in range(4)]
        assert all(p.startswith("eu-west-1_") for p in pools)  # TOML
        for _ in range(12):  # new connections: both workers answer, from one database
            with httpx.Client() as fresh:
                discovery = fresh.get(f"{live.url}/{pools[0]}/.well-known/openid-configuration")
                assert discovery.json()["issuer"] == f"https://cli.example/{pools[0]}"  # flag
        allowed = httpx.options(
            live.url + "/",
            headers={
                "Origin": "https://env.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "x-amz-target",
            },
        )
        assert allowed.status_code == 200  # env beats TOML
        refused = httpx.options(
            live.url + "/",
            headers={"Origin": "https://toml.example", "Access-Control-Request-Method": "POST"},
        )
        assert refused.status_code == 400
        key_file = live.data_dir / "master.key"
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        client = make_client(live, pools[0], GenerateSecret=True)
        assert (
            opened_secret(live, client["ClientId"], base64.b64decode(key_file.read_text()))
            == (client["ClientSecret"])
        )
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]


def opened_secret(server: Server, client_id: str, master_key: bytes) -> str:
    (row,) = rows(
        server.database_url, "SELECT secret_sealed FROM clients WHERE id = :id", id=client_id
    )
    return Keyring(master_key).open(row["secret_sealed"], f"client-secret:{client_id}").decode()


def test_master_key_from_the_environment(tmp: Path) -> None:
    key = secrets.token_bytes(32)
    env = {"MAMORI_MASTER_KEY": base64.b64encode(key).decode()}
    with run_server(tmp, extra_env=env) as first:
        pool = make_pool(first)
        client = make_client(first, pool["Id"], GenerateSecret=True)
        assert not (first.data_dir / "master.key").exists()
        assert opened_secret(first, client["ClientId"], key) == client["ClientSecret"]
        database_url, data_dir = first.database_url, first.data_dir
    with run_server(tmp, extra_env=env, database_url=database_url) as second:
        described = second.admin().describe_user_pool_client(
            UserPoolId=pool["Id"], ClientId=client["ClientId"]
        )
        assert described["UserPoolClient"]["ClientSecret"] == client["ClientSecret"]
    assert not (data_dir / "master.key").exists()
    # Another master key cannot open what the database holds: refused at start, clearly.
    other = base64.b64encode(secrets.token_bytes(32)).decode()
    refused = mamori(
        "serve",
        *("--database-url", database_url, "--data-dir", str(data_dir)),
        env=clean_env(MAMORI_MASTER_KEY=other),
    )
    assert refused.returncode == 2
    assert refused.stderr.startswith("mamori: master_key: ")
    assert "MAMORI_MASTER_KEY" in refused.stderr
    assert "Traceback" not in refused.stderr + refused.stdout


# --- migrate and outbox --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "database", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_migrate(tmp: Path, database: str) -> None:
    url = f"sqlite:///{tmp / 'fresh.db'}" if database == "sqlite" else create_pg_database()
    try:
        for _ in range(2):  # idempotent
            result = mamori("migrate", "--database-url", url, "--data-dir", str(tmp))
            assert result.returncode == 0, result.stderr
            assert "newest revision" in result.stdout
        assert rows(url, "SELECT count(*) AS n FROM pools") == [{"n": 0}]
    finally:
        if database == "postgres":
            drop_pg_database(url)


def test_worker_processes_do_not_load_alembic(tmp: Path) -> None:
    """`mamori serve` migrates in its first process; each worker builds the application with
    `asgi_app` and has no use for Alembic (and the Mako, Pygments and Rich it pulls in)."""
    probe = (
        "import sys; from mamori.cli import asgi_app; asgi_app(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('alembic', 'mako')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        env=clean_env(MAMORI_DATA_DIR=str(tmp)),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_outbox(server: Server) -> None:
    pool = make_pool(server, AutoVerifiedAttributes=["email"])
    client = make_client(server, pool["Id"])
    email = f"outbox-{secrets.token_hex(3)}@example.com"
    server.public().sign_up(
        ClientId=client["ClientId"],
        Username=email.split("@")[0],
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": email}],
    )
    code = server.latest_code(pool["Id"], email)
    where = ["--database-url", server.database_url, "--data-dir", str(server.data_dir)]

    listed = mamori("outbox", *where, "--pool", pool["Id"], "--to", email)
    assert listed.returncode == 0, listed.stderr
    assert email in listed.stdout and code in listed.stdout

    only_code = mamori("outbox", *where, "--to", email, "--code-only")
    assert only_code.returncode == 0, only_code.stderr
    assert only_code.stdout.strip() == code

    latest = mamori("outbox", *where, "--pool", pool["Id"], "--latest", "--json")
    (record,) = [json.loads(x) for x in latest.stdout.splitlines()]
    assert (record["to"], record["code"], record["pool_id"]) == (email, code, pool["Id"])

    nothing = mamori("outbox", *where, "--to", "nobody@example.com", "--code-only")
    assert nothing.returncode == 1
    assert "no message with a code" in nothing.stderr
