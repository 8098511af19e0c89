"""A lean HTTP/1.1 keep-alive load generator: raw asyncio streams, one process per core.

The client shares the machine with the server, so each request costs it a few tens of
microseconds: bodies are prebuilt bytes, responses are parsed only as far as the status line
and Content-Length (bodies are kept only when the caller asks for them, to harvest tokens).
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing as mp
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

TARGET = "AWSCognitoIdentityProviderService."


def request_bytes(host: str, operation: str, body: bytes) -> bytes:
    head = (
        f"POST / HTTP/1.1\r\nHost: {host}\r\n"
        "Content-Type: application/x-amz-json-1.1\r\n"
        f"X-Amz-Target: {TARGET}{operation}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


@dataclass
class Job:
    """What one load process sends: `requests` at random, or each once in order (`once`)."""

    url: str
    operation: str
    bodies: Sequence[bytes]
    concurrency: int
    start_at: float  # time.time() when sending starts (warm-up begins)
    measure_at: float  # requests started before this are warm-up, not counted
    end_at: float
    once: bool = False
    keep_bodies: bool = False
    # SignUp needs a fresh username per request: bodies contain b"{n}", replaced by a counter.
    unique_prefix: str = ""
    # `bodies` are whole HTTP requests (other endpoints than the AWS JSON one: bench/oauth.py).
    raw: bool = False
    # Each request at most once, in order, until `end_at` (single-use authorization codes);
    # unlike `once`, only requests started in the measured window count.
    single_use: bool = False


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    cpu: float = 0.0
    late: int = 0  # completed after end_at (counted for server CPU per op, not for ops/s)


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
            break
    body = await reader.readexactly(length) if length else b""
    return status, body


async def _run(job: Job) -> Outcome:
    parts = urlsplit(job.url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    hostport = f"{host}:{port}"
    outcome = Outcome()
    every = job.once or job.single_use
    bodies = job.bodies if every else job.bodies[:4096]
    if job.raw:
        prebuilt = list(bodies)
    else:
        prebuilt = [request_bytes(hostport, job.operation, b) for b in bodies]
    queue = iter(range(len(prebuilt)))
    counter = 0

    def next_request() -> bytes | None:
        nonlocal counter
        if job.once or job.single_use:
            index = next(queue, None)
            return None if index is None else prebuilt[index]
        if job.unique_prefix:
            counter += 1
            body = job.bodies[0].replace(b"{n}", f"{job.unique_prefix}{counter}".encode())
            return request_bytes(hostport, job.operation, body)
        return prebuilt[random.randrange(len(prebuilt))]

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while True:
                if time.time() >= job.end_at:
                    return
                request = next_request()
                if request is None:
                    return
                started = time.perf_counter()
                wall = time.time()
                try:
                    writer.write(request)
                    status, body = await _read_response(reader)
                except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                    outcome.errors += 1
                    if len(outcome.error_samples) < 5:
                        outcome.error_samples.append(repr(exc))
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
                    continue
                elapsed = time.perf_counter() - started
                counted = job.once or wall >= job.measure_at
                if not counted:
                    continue
                if time.time() > job.end_at and not job.once:
                    outcome.late += 1
                    continue
                if status != 200:
                    outcome.errors += 1
                    if len(outcome.error_samples) < 5:
                        outcome.error_samples.append(f"{status} {body[:200]!r}")
                    continue
                outcome.latencies.append(elapsed)
                if job.keep_bodies:
                    outcome.bodies.append(body)
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    delay = job.start_at - time.time()
    if delay > 0:
        await asyncio.sleep(delay)
    cpu0 = time.process_time()
    await asyncio.gather(*(connection() for _ in range(job.concurrency)))
    outcome.cpu = time.process_time() - cpu0
    return outcome


def _worker(job: Job, results: mp.Queue[Outcome]) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    results.put(asyncio.run(_run(job)))


def run_jobs(jobs: Sequence[Job]) -> list[Outcome]:
    """Run each job in its own process; return their outcomes once all are done."""
    ctx = mp.get_context("fork")
    results: mp.Queue[Outcome] = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(job, results), daemon=True) for job in jobs]
    for p in procs:
        p.start()
    outcomes = [results.get() for _ in procs]
    for p in procs:
        p.join()
    return outcomes


def split(items: Sequence[bytes], parts: int) -> list[list[bytes]]:
    return [list(items[i::parts]) for i in range(parts)]
