"""Issue 3's webhook figure: the endpoint under gunicorn against a trivial view on the same server, with wrk.

gunicorn (2 sync workers, 127.0.0.1, a free port) serves the bench database, where a WooCommerce store is connected.
wrk measures requests/second of (a) /healthz, (b) validly signed WooCommerce deliveries, distinct ones cycled by a
Lua script (first deliveries are stored and queued; once the list wraps round they are duplicates), and (c) forged
deliveries (the 401 path). Processing tasks are queued to the configured broker, not run: the figure is the
endpoint's. Load goes to loopback only, for a bounded time.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import hmac
import os
import random
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import requests

TARGET_RATIO = 0.4

LUA = r"""
-- Cycles through pre-built raw requests: thread k of n takes every n-th one, so no two threads send the same.
local requests, index, counter = {}, 0, 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end

function init(args)
  local nthreads = tonumber(args[3])
  local file = assert(io.open(args[1], "rb"))
  local data = file:read("*a")
  file:close()
  local pos, n = 1, 0
  for line in io.lines(args[2]) do
    local length = tonumber(line)
    if n % nthreads == tid then
      requests[#requests + 1] = data:sub(pos, pos + length - 1)
    end
    pos, n = pos + length, n + 1
  end
end

function request()
  index = index % #requests + 1
  return requests[index]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK_SUMMARY %d %d %d %d %d %d %d\n", summary.requests, summary.duration,
    e.connect, e.read, e.write, e.status, e.timeout))
end
"""


@dataclass
class WrkResult:
    requests: int
    seconds: float
    non_2xx: int
    socket_errors: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def ensure_wrk() -> str | None:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        print("  wrk is missing and this is not root: run `sudo apt-get install -y wrk`, then the bench again.")
        return None
    print("  installing wrk (apt-get install -y wrk) ...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env, capture_output=True)
    return shutil.which("wrk")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(settings_dict: dict) -> str:
    """The URL of the bench's (test) database, for the gunicorn processes' DATABASE_URL."""
    engine = settings_dict["ENGINE"]
    if engine.endswith("sqlite3"):
        return f"sqlite:///{Path(settings_dict['NAME']).resolve()}"
    if "postgresql" in engine:
        user = quote(settings_dict.get("USER") or "")
        password = quote(settings_dict.get("PASSWORD") or "")
        auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
        return f"postgres://{auth}{settings_dict.get('HOST') or '127.0.0.1'}{port}/{settings_dict['NAME']}"
    raise RuntimeError(f"The webhook bench does not know how to hand {engine} to gunicorn.")


@contextlib.contextmanager
def gunicorn(port: int, log_path: Path, env: dict[str, str]) -> Iterator[str]:
    from django.conf import settings

    command = [
        sys.executable, "-m", "gunicorn", "printconnect.wsgi:application",
        "--workers", "2", "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
        "--error-logfile", str(log_path), "--capture-output",
    ]  # fmt: skip
    with log_path.open("ab") as log:
        process = subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {process.returncode}; see {log_path}")
            try:
                if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer within 30 s; see {log_path}")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_wrk(wrk: str, url: str, *, seconds: int, threads: int, connections: int, script: Path | None = None,
            script_args: tuple[str, ...] = ()) -> WrkResult:  # fmt: skip
    command = [wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s"]
    if script is not None:
        command += ["-s", str(script), url, "--", *script_args]
    else:
        command += [url]
    out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    summary = next((line for line in out.splitlines() if line.startswith("WRK_SUMMARY")), None)
    if summary is not None:
        total, micros, connect, read, write, status, timeout = (int(x) for x in summary.split()[1:])
        return WrkResult(total, micros / 1e6, status, connect + read + write + timeout)
    # No Lua script: read wrk's own text ("N requests in Xs", "Non-2xx or 3xx responses: K").
    total, secs, non_2xx = 0, float(seconds), 0
    for line in out.splitlines():
        parts = line.split()
        if "requests in" in line:
            total, secs = int(parts[0]), _seconds(parts[3].rstrip(","))
        if line.strip().startswith("Non-2xx"):
            non_2xx = int(parts[-1])
    return WrkResult(total, secs, non_2xx, 0)


def _seconds(text: str) -> float:
    for unit, factor in (("ms", 1e-3), ("us", 1e-6), ("m", 60.0), ("s", 1.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    return float(text)


def raw_request(host: str, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items() if name.lower() != "content-length"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def write_requests(folder: Path, name: str, items: list[bytes]) -> tuple[Path, Path]:
    data, index = folder / f"{name}.bin", folder / f"{name}.idx"
    data.write_bytes(b"".join(items))
    index.write_text("".join(f"{len(item)}\n" for item in items))
    return data, index


ROUNDS = 3  # healthz, signed and forged runs alternate, so load from elsewhere on the machine hits all alike


def run(args: argparse.Namespace) -> None:
    from django.conf import settings
    from django.db import connection

    from printconnect.celery import app as celery_app
    from printconnect.clients.models import Client
    from printconnect.integrations.models import WebhookDelivery
    from printconnect.sandbox.woocommerce import seed
    from printconnect.sandbox.woocommerce.app import WooCommerceSandbox
    from printconnect.storefronts.models import Store

    seconds, per_round = args.webhook_seconds, args.webhook_deliveries
    broker = settings.CELERY_BROKER_URL.split(":")[0]
    print(
        f"\nWebhook endpoint under gunicorn (2 sync workers) on {connection.vendor}, broker {broker}; wrk on loopback,"
        f" {ROUNDS} rounds of {seconds} s runs"
    )
    wrk = ensure_wrk()
    if wrk is None:
        return

    # A connected WooCommerce store, and the deliveries its webhooks would send (bodies signed with its secret).
    sandbox = WooCommerceSandbox()
    remote = sandbox.create_store("bench-webhooks", name="Bench webhooks shop")
    seed.seed_store(remote, products=12, orders=300, lines_per_order=3, seed=9)
    store = Store.objects.create(
        client=Client.objects.create(name="Webhook bench client"),
        name="Bench Woo webhooks",
        platform=Store.Platform.WOOCOMMERCE,
        base_url="http://127.0.0.1:9/woo/bench-webhooks",  # processing does not run during the measurement
    )
    store.credentials = {
        "consumer_key": remote.consumer_key,
        "consumer_secret": remote.consumer_secret,
        "webhook_secret": remote.webhook_secret,
    }
    store.save()
    path = f"/webhooks/woocommerce/{store.webhook_token}/"
    rng = random.Random(3)
    order_ids = sorted(remote.orders)

    def signed_delivery() -> tuple[bytes, dict[str, str]]:
        topic = rng.choice(("order.created", "order.updated"))
        return sandbox.webhook_request(remote.slug, topic=topic, resource_id=rng.choice(order_ids))

    rounds = [[signed_delivery() for _ in range(per_round)] for _ in range(ROUNDS)]
    forged = []
    for n, (body, headers) in enumerate(rounds[0][:2_000]):
        headers = dict(headers)
        if n % 3 == 0:  # a key guessed wrong
            key = secrets.token_bytes(16)
            headers["X-WC-Webhook-Signature"] = base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()
        elif n % 3 == 1:  # the body changed after signing
            body = body.replace(b'"status":"', b'"status":"x', 1)
        else:  # no signature at all
            del headers["X-WC-Webhook-Signature"]
        forged.append((body, headers))
    body_sizes = sorted(len(body) for body, _ in rounds[0])

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "printconnect.settings",
        "PRINTCONNECT_VAR_DIR": str(settings.VAR_DIR),
        "DATABASE_URL": database_url(connection.settings_dict),
        "SECRET_KEY": secrets.token_urlsafe(40),
        "FIELD_ENCRYPTION_KEY": settings.FIELD_ENCRYPTION_KEY,  # the key the store's credentials were saved with
        "CONN_MAX_AGE": "60",  # persistent connections, as a deployment would run
        "DEBUG": "0",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    threads, connections = 2, 8
    port = free_port()
    host = f"127.0.0.1:{port}"
    log_path = Path(settings.VAR_DIR) / "bench-gunicorn.log"
    results: dict[str, list[WrkResult]] = {"healthz": [], "signed": [], "forged": []}
    first_deliveries: list[int] = []
    with tempfile.TemporaryDirectory(prefix="pc-bench-webhooks-") as tmp:
        folder = Path(tmp)
        script = folder / "cycle.lua"
        script.write_text(LUA)
        round_files = [
            write_requests(folder, f"signed-{k}", [raw_request(host, path, b, h) for b, h in items])
            for k, items in enumerate(rounds)
        ]
        forged_files = write_requests(folder, "forged", [raw_request(host, path, b, h) for b, h in forged])
        connection.close()  # gunicorn's workers open their own
        with gunicorn(port, log_path, env) as base:
            # The answers are what we think they are before measuring them.
            probe_body, probe_headers = sandbox.webhook_request(remote.slug, topic="order.created")
            first = requests.post(f"{base}{path}", data=probe_body, headers=probe_headers, timeout=10)
            again = requests.post(f"{base}{path}", data=probe_body, headers=probe_headers, timeout=10)
            bad_body, bad_headers = forged[0]
            bad = requests.post(f"{base}{path}", data=bad_body, headers=bad_headers, timeout=10)
            assert (first.status_code, again.status_code, bad.status_code) == (200, 200, 401), (
                first.status_code, again.status_code, bad.status_code, first.text[:200],
            )  # fmt: skip
            assert again.text == "ok (already received)", again.text

            purged = 0

            def drain() -> None:
                # What consuming workers would do: the filesystem broker slows down as its folder fills up.
                nonlocal purged
                with celery_app.connection_for_write() as channel_owner:
                    purged += channel_owner.default_channel.queue_purge("webhooks") or 0

            def stored() -> int:
                time.sleep(1)  # requests in flight when wrk stopped finish storing
                return WebhookDelivery.objects.filter(store=store).count()

            def measure(url: str, files: tuple[Path, Path] | None = None) -> WrkResult:
                lua = (str(files[0]), str(files[1]), str(threads)) if files else ()
                return run_wrk(wrk, url, seconds=seconds, threads=threads, connections=connections,
                               script=script if files else None, script_args=lua)  # fmt: skip

            run_wrk(wrk, f"{base}/healthz", seconds=2, threads=threads, connections=connections)  # warm-up
            rows = stored()
            for files in round_files:
                results["healthz"].append(measure(f"{base}/healthz"))
                results["signed"].append(measure(f"{base}{path}", files))
                rows, before = stored(), rows
                first_deliveries.append(rows - before)
                drain()
                results["forged"].append(measure(f"{base}{path}", forged_files))
            forged_rows = stored() - rows
            # The first round's deliveries again, only those it sent (each wrk thread took every other one).
            replay = [raw_request(host, path, b, h) for b, h in rounds[0][: max(first_deliveries[0] * 9 // 10, 2)]]
            duplicates = measure(f"{base}{path}", write_requests(folder, "replay", replay))
            duplicate_rows = stored() - rows - forged_rows
            drain()

    def median(values: list[float]) -> float:
        return sorted(values)[len(values) // 2]

    trivial = median([r.rate for r in results["healthz"]])
    ratios = [s.rate / h.rate for s, h in zip(results["signed"], results["healthz"], strict=True)]
    forged_ratios = [f.rate / h.rate for f, h in zip(results["forged"], results["healthz"], strict=True)]
    answered = sum(r.requests - r.non_2xx for r in results["signed"])
    firsts = sum(first_deliveries)
    print(
        f"  {ROUNDS} x {per_round} distinct signed deliveries (bodies {body_sizes[0]}-{body_sizes[-1]} bytes, "
        f"median {body_sizes[len(body_sizes) // 2]}), {len(forged)} forged; wrk -t{threads} -c{connections}"
    )

    def line(label: str, items: list[WrkResult], ratio_list: list[float] | None) -> None:
        rates = ", ".join(f"{r.rate:.0f}" for r in items)
        ratio = ""
        if ratio_list:
            ratio = f"ratio {median(ratio_list):4.2f}x (rounds {', '.join(f'{x:.2f}' for x in ratio_list)})"
        errors = sum(r.non_2xx for r in items), sum(r.socket_errors for r in items)
        print(
            f"  {label:<34} {median([r.rate for r in items]):7.0f} req/s   {ratio:<36}"
            f"   rounds: {rates}; non-2xx {errors[0]}, socket errors {errors[1]}"
        )

    line("(a) /healthz, the trivial view", results["healthz"], None)
    line("(b) webhook, validly signed", results["signed"], ratios)
    dups = max(answered - firsts, 0)  # wrk does not count the few requests in flight when it stops
    print(
        f"      {answered} signed deliveries answered 200: {firsts} were first deliveries, stored and queued "
        f"({1 - dups / answered:.0%}), {dups} duplicates ({dups / answered:.0%})"
    )
    line("(c) webhook, forged (401)", results["forged"], forged_ratios)
    print(f"      rows left by forged deliveries: {forged_rows}")
    print(
        f"  (b') webhook, signed, all duplicates {duplicates.rate:7.0f} req/s   ratio {duplicates.rate / trivial:4.2f}x"
        f" of the median trivial view; new rows: {duplicate_rows}; {purged} queued tasks purged afterwards"
    )
    verdict = "met" if median(ratios) >= TARGET_RATIO else "NOT met"
    print(f"  target: signed webhook >= {TARGET_RATIO}x the trivial view: {verdict}. gunicorn log: {log_path}")
