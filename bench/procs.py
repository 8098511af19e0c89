"""The server's processes, found by listening port: CPU seconds and RSS from /proc."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

_CLK_TCK = os.sysconf("SC_CLK_TCK")


def _listening_inodes(port: int) -> set[str]:
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                inodes.add(inode)
    return inodes


def pids_listening_on(port: int) -> list[int]:
    """Every process holding the listening socket: uvicorn's parent and its workers."""
    wanted = {f"socket:[{i}]" for i in _listening_inodes(port)}
    found: list[int] = []
    if not wanted:
        return found
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            for fd in (entry / "fd").iterdir():
                if os.readlink(fd) in wanted:
                    found.append(int(entry.name))
                    break
        except OSError:
            continue
    return sorted(found)


def postgres_backends(database: str) -> list[int]:
    """PostgreSQL backends serving `database` (their process title names it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() != "postgres":
                    continue
                title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            # Client backends only ("user db host(port) state"): autovacuum is background work.
            if f" {database} " in title and "(" in title:
                found.append(int(entry.name))
    return found


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process (not its children)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK


def machine_busy_seconds() -> float:
    """CPU seconds spent by the whole machine (all cores, everything but idle and iowait)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / _CLK_TCK


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass(frozen=True)
class Snapshot:
    cpu: dict[int, float]
    machine: float = 0.0
    database: dict[int, float] = field(default_factory=dict)  # PostgreSQL backends' CPU

    @property
    def total(self) -> float:
        return sum(self.cpu.values())


def database_cpu(before: Snapshot, after: Snapshot) -> float:
    """CPU seconds of the backends present in both snapshots (pooled connections persist)."""
    return sum(
        after.database[p] - before.database[p] for p in after.database if p in before.database
    )


def snapshot(pids: list[int], database: str | None = None) -> Snapshot:
    cpu: dict[int, float] = {}
    for pid in pids:
        try:
            cpu[pid] = cpu_seconds(pid)
        except OSError:
            cpu[pid] = 0.0
    backends: dict[int, float] = {}
    for pid in postgres_backends(database) if database else []:
        try:
            backends[pid] = cpu_seconds(pid)
        except OSError:
            continue
    return Snapshot(cpu, machine_busy_seconds(), backends)


def rss(pids: list[int]) -> dict[int, float]:
    out: dict[int, float] = {}
    for pid in pids:
        try:
            out[pid] = rss_mib(pid)
        except OSError:
            continue
    return out
