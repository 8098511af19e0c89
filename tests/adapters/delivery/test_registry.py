"""The sender registry: unknown ids and bad sender settings stop `mamori serve` at start-up with a
clear reason (and no secret), and a third-party sender installed as a `mamori.senders` entry
point delivers a live server's messages."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.support.cognito import attrs, unique
from tests.support.factories import PASSWORD, make_client, make_pool
from tests.support.live import CHEAP_HASHING, Server, free_port, run_server

from mamori.composition.delivery import build_message_sender
from mamori.config import ConfigError, load_settings

PLUGIN = '''
"""A third-party SMS sender: appends each message to the file named by ACME_SMS_FILE."""
import json
import os


class AcmeSms:
    id = "acme"
    channels = frozenset({"SMS"})

    def __init__(self, path, region):
        self.path = path
        self.region = region

    @classmethod
    def from_config(cls, context):
        path = os.environ.get("ACME_SMS_FILE")
        if not path:
            raise ValueError("ACME_SMS_FILE is not set")
        return cls(path, context.text("region"))

    async def send(self, message):
        with open(self.path, "a") as fh:
            fh.write(json.dumps({
                "to": message.destination, "body": message.body, "kind": message.kind,
                "channel": message.channel, "region": self.region,
            }) + "\\n")


class NoSend:
    id = "nosend"

    @classmethod
    def from_config(cls, context):
        return object()


class Shadow:
    """Registered under a built-in id: must never replace the built-in sender."""
    id = "sns"

    @classmethod
    def from_config(cls, context):
        raise AssertionError("a plugin took a built-in id")
'''

ENTRY_POINTS = """[mamori.senders]
acme = acme_sms:AcmeSms
nosend = acme_sms:NoSend
sns = acme_sms:Shadow
missing = acme_sms_not_installed:Sender
"""


@pytest.fixture(scope="module")
def plugin_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An installed distribution as importlib.metadata finds one: a module and its dist-info."""
    root = tmp_path_factory.mktemp("plugin")
    (root / "acme_sms.py").write_text(PLUGIN)
    info = root / "acme_sms-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-sms\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    return root


class Outbox:
    """Stands in for the database outbox: these senders are built, never used."""

    async def send(self, message: Any) -> None:
        raise AssertionError("nothing is sent here")


def build(env: dict[str, str], channel: str = "SMS") -> Any:
    settings = load_settings(environ=env)
    setting = "sms_sender" if channel == "SMS" else "email_sender"
    return build_message_sender(settings, setting, channel, Outbox())


SECRET_WORD = "hunter2-hunter2-hunter2"


@pytest.mark.parametrize(
    ("env", "channel", "reason"),
    [
        ({"MAMORI_SMS_SENDER": "carrier-pigeon"}, "SMS", "unknown sender 'carrier-pigeon'"),
        ({"MAMORI_EMAIL_SENDER": "sns"}, "EMAIL", "cannot send EMAIL (only SMS)"),
        ({"MAMORI_SMS_SENDER": "ses"}, "SMS", "cannot send SMS (only EMAIL)"),
        ({"MAMORI_SMS_SENDER": "smtp"}, "SMS", "cannot send SMS (only EMAIL)"),
        ({"MAMORI_SMS_SENDER": "webhook"}, "SMS", "webhook_url must be set to send SMS"),
        (
            {"MAMORI_EMAIL_SENDER": "webhook", "MAMORI_WEBHOOK_URL": "https://hooks.example"},
            "EMAIL",
            "webhook_secret must be set to send EMAIL",
        ),
        (
            {
                "MAMORI_SMS_SENDER": "webhook",
                "MAMORI_WEBHOOK_URL": "ftp://hooks.example",
                "MAMORI_WEBHOOK_SECRET": SECRET_WORD,
            },
            "SMS",
            "webhook_url must be an http(s) URL",
        ),
        (
            {
                "MAMORI_SMS_SENDER": "webhook",
                "MAMORI_WEBHOOK_URL": "https://hooks.example",
                "MAMORI_WEBHOOK_SECRET": "hunter2",
            },
            "SMS",
            "webhook_secret must be at least 16 bytes",
        ),
        (
            {
                "MAMORI_SMS_SENDER": "webhook",
                "MAMORI_WEBHOOK_URL": "https://hooks.example",
                "MAMORI_WEBHOOK_SECRET": "whsec_" + SECRET_WORD + "!",
            },
            "SMS",
            "whsec_ must be followed by base64",
        ),
        (
            {
                "MAMORI_SMS_SENDER": "webhook",
                "MAMORI_WEBHOOK_URL": "https://hooks.example",
                "MAMORI_WEBHOOK_SECRET": SECRET_WORD,
                "MAMORI_WEBHOOK_CA_FILE": "/nonexistent/ca.pem",
            },
            "SMS",
            "webhook_ca_file: cannot load /nonexistent/ca.pem",
        ),
        (
            {"MAMORI_EMAIL_SENDER": "smtp", "MAMORI_SMTP_CA_FILE": "/nonexistent/ca.pem"},
            "EMAIL",
            "smtp_ca_file: cannot load /nonexistent/ca.pem",
        ),
        (
            {"MAMORI_SMS_SENDER": "sns", "MAMORI_SNS_REGION": "mars"},
            "SMS",
            "sns_region 'mars' is not an AWS region name",
        ),
        (
            {"MAMORI_SMS_SENDER": "sns", "MAMORI_SNS_ENDPOINT": "sns.example:443"},
            "SMS",
            "sns_endpoint must be an http(s) URL",
        ),
        (
            {"MAMORI_SMS_SENDER": "sns", "MAMORI_SNS_SECRET_ACCESS_KEY": SECRET_WORD},
            "SMS",
            "sns_access_key_id and sns_secret_access_key must be given together",
        ),
        (
            {"MAMORI_EMAIL_SENDER": "ses", "MAMORI_SES_SOURCE": "mamori"},
            "EMAIL",
            "ses_source 'mamori' is not an email address",
        ),
    ],
)
def test_sender_settings_refused(env: dict[str, str], channel: str, reason: str) -> None:
    with pytest.raises(ConfigError) as exc:
        build(env, channel)
    assert reason in str(exc.value)
    assert SECRET_WORD not in str(exc.value)


@pytest.mark.parametrize(
    ("env", "reason"),
    [
        ({"MAMORI_SMS_SENDER": "Carrier Pigeon"}, "sms_sender must be a sender id"),
        ({"MAMORI_EMAIL_SENDER": ""}, "email_sender must be a sender id"),
        ({"MAMORI_DELIVERY_TIMEOUT_SECONDS": "0"}, "delivery_timeout_seconds must be between"),
        (
            {"MAMORI_DELIVERY_TIMEOUT_SECONDS": "soon"},
            "setting delivery_timeout_seconds: cannot read 'soon'",
        ),
    ],
)
def test_delivery_settings_refused(env: dict[str, str], reason: str) -> None:
    with pytest.raises(ConfigError) as exc:
        load_settings(environ=env)
    assert reason in str(exc.value)


def test_built_in_senders_build() -> None:
    outbox = Outbox()
    assert build_message_sender(load_settings(environ={}), "sms_sender", "SMS", outbox) is outbox
    env = {
        "MAMORI_SMS_SENDER": "sns",
        "MAMORI_EMAIL_SENDER": "ses",
        "MAMORI_SES_SOURCE": "no-reply@mamori.example",
    }
    assert type(build(env, "SMS")).__name__ == "SnsSender"
    assert type(build(env, "EMAIL")).__name__ == "SesSender"
    hook = {
        "MAMORI_SMS_SENDER": "webhook",
        "MAMORI_WEBHOOK_URL": "https://hooks.example/sms?token=abc",
        "MAMORI_WEBHOOK_SECRET": SECRET_WORD,
    }
    sender = build(hook)
    assert type(sender).__name__ == "WebhookSender"
    # Neither the signing key nor the URL's token shows in a repr.
    assert SECRET_WORD not in repr(load_settings(environ=hook))
    assert "token=abc" not in repr(load_settings(environ=hook))
    assert SECRET_WORD.encode() not in repr(sender._config).encode()


def test_plugins_are_checked(plugin_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(plugin_dir))
    monkeypatch.delenv("ACME_SMS_FILE", raising=False)
    with pytest.raises(ConfigError, match="sms_sender 'acme': sender 'acme': ACME_SMS_FILE"):
        build({"MAMORI_SMS_SENDER": "acme"})
    with pytest.raises(ConfigError, match="cannot send EMAIL"):
        build({"MAMORI_EMAIL_SENDER": "acme"}, "EMAIL")
    with pytest.raises(ConfigError, match="has no `async def send"):
        build({"MAMORI_SMS_SENDER": "nosend"})
    with pytest.raises(ConfigError, match=r"sender 'missing' \(acme_sms_not_installed:Sender\)"):
        build({"MAMORI_SMS_SENDER": "missing"})
    with pytest.raises(ConfigError) as exc:
        build({"MAMORI_SMS_SENDER": "nothing"})
    # The message lists what is installed, plugins included.
    assert "known: acme, missing, nosend, outbox, ses, smtp, sns, webhook" in str(exc.value)
    # A plugin cannot take over a built-in id.
    assert type(build({"MAMORI_SMS_SENDER": "sns"})).__name__ == "SnsSender"


def test_serve_refuses_to_start(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAMORI_")}
    env.update(CHEAP_HASHING)
    env.update({"MAMORI_SMS_SENDER": "carrier-pigeon", "MAMORI_DATA_DIR": str(tmp_path)})
    process = subprocess.run(
        [sys.executable, "-m", "mamori.cli", "serve", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert process.returncode == 2, process.stderr
    assert re.match(
        r"mamori: sms_sender 'carrier-pigeon': unknown sender 'carrier-pigeon' \(known: .*outbox",
        process.stderr,
    ), process.stderr


@pytest.fixture(scope="module")
def plugin_server(
    tmp_path_factory: pytest.TempPathFactory, plugin_dir: Path
) -> Iterator[tuple[Server, Path]]:
    tmp = tmp_path_factory.mktemp("plugin-server")
    sent = tmp / "sent.jsonl"
    env = {
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(plugin_dir), os.environ.get("PYTHONPATH")])
        ),
        "ACME_SMS_FILE": str(sent),
        "MAMORI_SMS_SENDER": "acme",
        "MAMORI_REGION": "eu-west-1",
    }
    with run_server(tmp, "sqlite", extra_env=env) as server:
        yield server, sent


def test_entry_point_sender_delivers(plugin_server: tuple[Server, Path]) -> None:
    server, sent = plugin_server
    pool_id = make_pool(
        server, AutoVerifiedAttributes=["phone_number"], SmsVerificationMessage="Acme {####}"
    )["Id"]
    client_id = make_client(server, pool_id)["ClientId"]
    username, phone = unique(), "+15550001234"
    server.public().sign_up(
        ClientId=client_id,
        Username=username,
        Password=PASSWORD,
        UserAttributes=attrs(phone_number=phone, email=f"{username}@example.com"),
    )
    [line] = [json.loads(x) for x in sent.read_text().splitlines() if phone in x]
    assert line["kind"] == "confirmation"
    assert line["channel"] == "SMS"
    assert line["region"] == "eu-west-1"  # from_config read mamori's settings
    match = re.fullmatch(r"Acme (\d{6})", line["body"])
    assert match
    assert server.outbox(pool_id, phone) == []
    server.public().confirm_sign_up(
        ClientId=client_id, Username=username, ConfirmationCode=match.group(1)
    )
