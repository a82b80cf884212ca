"""Shared test set-up: a loopback-only network guard, eager Celery, fast hashing, fixtures."""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from tests.smtp import smtp_email, smtp_server  # noqa: F401  (fixtures: a real SMTP server on loopback)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # live_server + ORM in the same browser test


# --- network guard: tests may talk to 127.0.0.0/8 and ::1 only ------------------------------------------------------

_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


class NetworkAccessError(RuntimeError):
    pass


def _is_loopback_host(host: Any) -> bool:
    if host is None:
        return True  # getaddrinfo(None, port) means the local wildcard
    if isinstance(host, bytes):
        host = host.decode()
    host = str(host).strip("[]").lower()
    if host in _LOOPBACK_NAMES or host == "":
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _guarded_address(sock: socket.socket, address: Any) -> None:
    if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback_host(address[0]):
        raise NetworkAccessError(f"Tests may only reach loopback addresses; refused {address[0]!r}.")


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    _guarded_address(self, address)
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> Any:
    _guarded_address(self, address)
    return _real_connect_ex(self, address)


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if not _is_loopback_host(host):
        raise NetworkAccessError(f"Tests may only resolve loopback names; refused {host!r}.")
    return _real_getaddrinfo(host, *args, **kwargs)


def pytest_configure(config: pytest.Config) -> None:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = _guarded_getaddrinfo


# --- Django and Celery ---------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _test_settings(settings: Any) -> Iterator[None]:
    from django.core.cache import cache

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.PRINT_FILE_DOWNLOADS = False  # print file tests switch it on, with their own server on loopback
    settings.WEBHOOK_QUEUE_EVERY_SECONDS = 0  # each stored webhook delivery is queued at once (eager tasks)
    cache.clear()  # rate-limit counters must not leak from one test to the next
    yield


@pytest.fixture(autouse=True, scope="session")
def _celery_eager() -> Iterator[None]:
    from printconnect.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield


# --- the WooCommerce sandbox on loopback (DESIGN section 9) ----------------------------------------------------------


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Any]:
    """A sandbox server per test module; tests create their own shops on it (unique slugs), so none share state."""
    from printconnect.sandbox.server import start_sandbox

    server = start_sandbox()
    yield server
    server.stop()


@pytest.fixture
def loopback_allowed(settings: Any) -> None:
    """Outbound HTTP may reach the loopback sandbox (refused by default), with short backoffs so retries are quick."""
    settings.OUTBOUND_ALLOW_PRIVATE = True
    settings.OUTBOUND_BACKOFF_BASE = 0.01
    settings.OUTBOUND_BACKOFF_MAX = 0.05


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks: Any) -> Any:
    """`with run_on_commit():` runs on_commit callbacks (queued emails, tasks) in a non-transactional test."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


# --- a real browser ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": shutil.which("chromium") or "/usr/bin/chromium",
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }
