"""Typed connector errors carrying DESIGN section 5's severity. Every message ends with what to do about it."""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    INFO = "info"  # a business rule, nothing to do
    RETRY = "retry"  # fixes itself; retried automatically
    ERROR = "error"  # needs a person


class ConnectorError(Exception):
    severity: Severity = Severity.ERROR

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AuthRejectedError(ConnectorError):
    severity = Severity.ERROR

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code  # 401 (key refused) and 403 (not allowed) call for different fixes


class RateLimitedError(ConnectorError):
    severity = Severity.RETRY

    def __init__(self, message: str = "", *, retry_after: float | None = None) -> None:
        wait = f"in {retry_after:g} s" if retry_after is not None else "later"
        super().__init__(message or f"The store is throttling requests; printconnect retries {wait}.")
        self.retry_after = retry_after


class UnavailableError(ConnectorError):
    """The store could not be reached, or failed on its side. The message (for feed runs) says printconnect retries;
    `problem` says what happened and `advice` what a person trying the connection right now should do."""

    severity = Severity.RETRY

    def __init__(self, message: str, *, problem: str | None = None, advice: str | None = None) -> None:
        super().__init__(message)
        self.problem = problem or message.rstrip(".")
        self.advice = advice

    @property
    def message_now(self) -> str:
        """The message for someone waiting on the answer (a connection check), who is not retried for."""
        return f"{self.problem}; {self.advice}" if self.advice else self.message


class NotReadyError(ConnectorError):
    severity = Severity.RETRY


class NothingToDoError(ConnectorError):
    severity = Severity.INFO


class RecordNotFoundError(ConnectorError):
    """The store has no such record (deleted, trashed, wrong id). Error: someone decides what it means."""

    severity = Severity.ERROR


class MappingError(ConnectorError):
    """One record could not be read into the canonical shapes; the rest of the page goes on."""

    severity = Severity.ERROR

    def __init__(self, field: str, reason: str, record_id: str | None = None) -> None:
        self.field = field
        self.reason = reason
        self.record_id = record_id
        which = f"record {record_id}" if record_id is not None else "a record"
        super().__init__(
            f"Cannot read {field} of {which}: {reason}. Fix the record in the store, then run the feed again."
        )


class UnsupportedTopicError(ConnectorError):
    severity = Severity.INFO


class BadResponseError(ConnectorError):
    """The other end is not the platform we expected, or answered something we cannot read."""

    severity = Severity.ERROR
