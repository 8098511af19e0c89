"""Debian's Apache httpd with mod_auth_openidc, started by a test: a config written to the
test's directory (its own ServerRoot, PidFile, runtime dir and error log; Listen on free
loopback ports; only the modules it names), run in the foreground and stopped afterwards."""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

APACHE = Path("/usr/sbin/apache2")
MODULES = Path("/usr/lib/apache2/modules")
# What both set-ups need: the event MPM, authorisation, mod_auth_openidc, a reverse proxy to
# the app and header edits.
BASE_MODULES = (
    "mpm_event",
    "authn_core",
    "authz_core",
    "authz_user",
    "auth_openidc",
    "proxy",
    "proxy_http",
    "headers",
)


def apache_missing() -> str | None:
    """Why Apache with mod_auth_openidc can't run here, or None."""
    if not APACHE.exists():
        return f"needs Debian's apache2 at {APACHE} (scripts/ensure-packages.sh)"
    if not (MODULES / "mod_auth_openidc.so").exists():
        return "needs libapache2-mod-auth-openidc (scripts/ensure-packages.sh)"
    return None


@dataclass
class Apache:
    root: Path
    ports: tuple[int, ...]
    process: subprocess.Popen[bytes]

    @property
    def error_log(self) -> Path:
        return self.root / "error.log"

    def log(self) -> str:
        """The error log, for a failing assertion's message."""
        try:
            return self.error_log.read_text(errors="replace")[-6000:]
        except FileNotFoundError:
            return "(no error log)"


@contextmanager
def apache_root() -> Iterator[Path]:
    """A fresh directory for one Apache's config, logs and files its children read. Under /tmp
    and world-readable: run as root, the children are www-data, who can't enter pytest's
    0700 temporary directories. Removed afterwards."""
    root = Path(tempfile.mkdtemp(prefix="mamori-apache-"))
    root.chmod(0o755)
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def readable(root: Path, source: Path) -> Path:
    """A copy of `source` in `root` that the children can read (a CA certificate)."""
    copy = root / source.name
    shutil.copyfile(source, copy)
    copy.chmod(0o644)
    return copy


def _run_as() -> str:
    """Apache refuses to serve as root: its children take an unprivileged user then."""
    if os.geteuid() != 0:
        return ""
    for user, group in (("www-data", "www-data"), ("nobody", "nogroup")):
        try:
            pwd.getpwnam(user)
            grp.getgrnam(group)
        except KeyError:
            continue
        return f"User {user}\nGroup {group}\n"
    return ""


def head(root: Path, ports: tuple[int, ...], modules: tuple[str, ...] = BASE_MODULES) -> str:
    """The server-wide part of a test config: paths, ports, modules, logs."""
    loads = "\n".join(f"LoadModule {m}_module {MODULES}/mod_{m}.so" for m in modules)
    listens = "\n".join(f"Listen 127.0.0.1:{p}" for p in ports)
    return (
        f'ServerRoot "{root}"\n'
        f'DefaultRuntimeDir "{root}"\n'
        f'PidFile "{root}/httpd.pid"\n'
        f"Mutex file:{root} default\n"
        f'ErrorLog "{root}/error.log"\n'
        "LogLevel warn auth_openidc:info\n"
        "ServerName localhost\n"
        f"{_run_as()}"
        f"{loads}\n"
        f"{listens}\n"
        "StartServers 1\nServerLimit 1\nThreadsPerChild 16\nMaxRequestWorkers 16\n"
    )


def _accepting(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@contextmanager
def run_apache(root: Path, ports: tuple[int, ...], config: str) -> Iterator[Apache]:
    """Apache on `config` (head() + the test's own part) from `root`/httpd.conf (`root` from
    apache_root()), until every
    port accepts connections; stopped (SIGTERM, then killed) when the block ends."""
    conf = root / "httpd.conf"
    conf.write_text(config)
    checked = subprocess.run(
        [str(APACHE), "-f", str(conf), "-t"], capture_output=True, timeout=30, check=False
    )
    if checked.returncode != 0:
        raise RuntimeError(f"apache2 -t refused the config:\n{checked.stderr.decode()}\n{config}")
    out = open(root / "stdout.log", "wb")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [str(APACHE), "-f", str(conf), "-DFOREGROUND"],
        stdout=out,
        stderr=subprocess.STDOUT,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C"},
    )
    apache = Apache(root, ports, process)
    try:
        deadline = time.monotonic() + 20
        while not all(_accepting(p) for p in ports):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"apache2 did not start:\n{apache.log()}")
            time.sleep(0.05)
        yield apache
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        out.close()
