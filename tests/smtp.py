"""A real SMTP server on loopback (aiosmtpd) for email tests, and Django pointed at it."""

from __future__ import annotations

import email
import email.policy
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

INVITATION_LINK_RE = re.compile(r"https?://[^\s/]+/invitations/[^\s/]+/")


# --- a real SMTP server ------------------------------------------------------------------------------------------


@dataclass
class ReceivedMessage:
    envelope_from: str
    envelope_to: list[str]
    message: EmailMessage


@dataclass
class SMTPServer:
    """What the `smtp_server` fixture yields: where it listens and every message it has received so far."""

    host: str
    port: int
    messages: list[ReceivedMessage] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def received_by(self, address: str) -> list[ReceivedMessage]:
        address = address.lower()
        with self.lock:
            return [m for m in self.messages if address in (to.lower() for to in m.envelope_to)]


class _CollectingHandler:
    def __init__(self, server: SMTPServer) -> None:
        self.server = server

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        received = ReceivedMessage(envelope.mail_from, list(envelope.rcpt_tos), message)
        with self.server.lock:
            self.server.messages.append(received)
        return "250 Message accepted for delivery"


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server() -> Iterator[SMTPServer]:
    """An aiosmtpd server on 127.0.0.1 and a free port, collecting what it receives; stopped after the test."""
    server = SMTPServer(host="127.0.0.1", port=_free_loopback_port())
    controller = Controller(_CollectingHandler(server), hostname=server.host, port=server.port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


@pytest.fixture
def smtp_email(settings: Any, smtp_server: SMTPServer) -> SMTPServer:
    """Django sends real SMTP to `smtp_server` (pytest-django forces locmem for each test; this overrides it)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = smtp_server.host
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    return smtp_server


def wait_for_email(server: SMTPServer, address: str, *, count: int = 1, timeout: float = 10.0) -> EmailMessage:
    """The `count`-th message delivered to `address` (polling up to `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        received = server.received_by(address)
        if len(received) >= count:
            return received[count - 1].message
        if time.monotonic() > deadline:
            seen = [(m.envelope_to, m.message["Subject"]) for m in server.messages]
            raise AssertionError(f"No email #{count} to {address} within {timeout:.0f} s; the server got {seen!r}")
        time.sleep(0.1)


def text_body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, f"email {message['Subject']!r} has no text/plain part"
    return part.get_content()


def invitation_link(message: EmailMessage) -> str:
    """The one invitation link in the email's plain-text body."""
    links = INVITATION_LINK_RE.findall(text_body(message))
    assert len(links) == 1, f"expected one invitation link in {message['Subject']!r}, found {links!r}"
    return links[0]
