"""Real Celery worker processes for tests: started on the test database and broker, killed on purpose.

Each worker is `celery -A printconnect worker -Q feeds -P prefork -c 1` in its own process group, logging to a
file the tests read (which worker received a task, which one said it was redelivered).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.db import connection

# Short limits so a killed worker's task comes back within a test (production values are in settings.py).
WORKER_ENV = {
    "OUTBOUND_ALLOW_PRIVATE": "1",  # the sandbox is on loopback
    "FEED_RUN_STALE_AFTER_SECONDS": "3",
    "TASK_RETRY_COUNTDOWN_MAX": "4",
    "CELERY_TASK_SOFT_TIME_LIMIT": "8",
    "CELERY_TASK_TIME_LIMIT": "9",
    "CELERY_VISIBILITY_TIMEOUT": "14",  # Redis only: above the countdown plus the hard limit
    "CELERY_UNACKED_RESTORE_SECONDS": "1",
    "CELERY_WORKER_LOST_WAIT": "1",
    "PYTHONUNBUFFERED": "1",
}
STALE_AFTER = int(WORKER_ENV["FEED_RUN_STALE_AFTER_SECONDS"])
# No mingle, gossip or heartbeat: nothing here needs them, and a worker is ready sooner without.
WORKER_ARGS = (
    "-m celery -A printconnect worker -Q {queues} -P prefork -c 1 -l INFO --without-mingle --without-gossip "
    "--without-heartbeat"
)
_LOG_TIME = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}):")


def wait_for(condition: Callable[[], Any], *, timeout: float, what: str, interval: float = 0.05) -> Any:
    """Poll until `condition()` is truthy and return it; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out after {timeout:.0f} s waiting for {what}.")
        time.sleep(interval)


def database_url() -> str:
    """The test database (not the one settings name) as a DATABASE_URL for the worker processes."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    if "postgresql" in db["ENGINE"]:
        auth = quote(db["USER"] or "", safe="")
        if db["PASSWORD"]:
            auth += ":" + quote(db["PASSWORD"], safe="")
        return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    raise NotImplementedError(f"No worker DATABASE_URL for {db['ENGINE']}.")


def broker_is_redis() -> bool:
    return settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://"))


def broker_purge(app: Any, queue: str = "feeds") -> None:
    """Empty the queue, and on Redis the tasks held unacknowledged by workers of an earlier session."""
    with app.connection_for_write() as conn:
        channel = conn.default_channel
        channel.queue_purge(queue)
        if hasattr(channel, "unacked_key"):
            channel.client.delete(channel.unacked_key, channel.unacked_index_key)


class Worker:
    def __init__(self, name: str, log_dir: Path, env: dict[str, str], *, queues: str = "feeds") -> None:
        self.name = name
        self.queues = queues
        self.log_path = log_dir / f"{name}.log"
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None
        self._log_offset = 0

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, *WORKER_ARGS.format(queues=self.queues).split(), "--hostname", f"{self.name}@%h"],
                cwd=settings.BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: "kill the whole worker" is one killpg
            )

    def wait_ready(self, timeout: float = 30) -> None:
        def ready() -> bool:
            if not self.alive:
                raise AssertionError(f"Worker {self.name} exited at start; its log:\n{self.log()[-3000:]}")
            return f"{self.name}@" in self.log() and " ready." in self.log()

        wait_for(ready, timeout=timeout, what=f"worker {self.name} to be ready")

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        """What this worker process wrote since it was last started."""
        with self.log_path.open("rb") as log:
            log.seek(self._log_offset)
            return log.read().decode(errors="replace")

    def received_at(self, task_id: str) -> list[str]:
        """When this worker received the task (log time, sortable), once per delivery, retries included."""
        marker = f"[{task_id}] received"
        return [
            match.group(1) for line in self.log().splitlines() if marker in line and (match := _LOG_TIME.match(line))
        ]

    def pool_pids(self) -> list[int]:
        """The prefork pool processes of this worker (children of its main process)."""
        assert self.process is not None
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # gone meanwhile
            if int(fields[1]) == self.process.pid:
                children.append(int(stat.parent.name))
        return children

    def kill_pool_process(self) -> int:
        """SIGKILL the pool process (the one running the task); the main process notices and starts another."""
        (pid,) = wait_for(self.pool_pids, timeout=5, what=f"the pool process of {self.name}")
        os.kill(pid, signal.SIGKILL)
        return pid

    def kill(self) -> None:
        """SIGKILL the whole worker, main process and pool together, as when its machine dies."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self, timeout: float = 5) -> None:
        """Ask the main process for a warm shutdown (it stops its pool itself); kill the group if it is slow."""
        if self.process is None or self.process.poll() is not None:
            return
        try:
            self.process.terminate()
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


class WorkerPair:
    """Two workers consuming the same queue (feeds unless told otherwise)."""

    def __init__(self, log_dir: Path, *, queues: str = "feeds", env: dict[str, str] | None = None) -> None:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_TASK_ALWAYS_EAGER", "PYTEST"))}
        base |= WORKER_ENV | {"DATABASE_URL": database_url()} | (env or {})
        self.workers = [Worker(name, log_dir, base, queues=queues) for name in ("w1", "w2")]

    def ensure_running(self) -> None:
        """Start whichever worker is not running (all at once, then wait for each)."""
        starting = [worker for worker in self.workers if not worker.alive]
        for worker in starting:
            worker.start()
        for worker in starting:
            worker.wait_ready()

    def holding(self, task_id: str) -> Worker:
        """The worker that received the task last: the one running it now (each worker reserves one task)."""
        latest = {worker.name: max(worker.received_at(task_id), default=None) for worker in self.workers}
        received = {name: at for name, at in latest.items() if at is not None}
        assert received, f"No worker received task {task_id}."
        name = max(received, key=received.__getitem__)
        return next(worker for worker in self.workers if worker.name == name)

    def logs(self) -> str:
        return "\n".join(f"--- {worker.name} ---\n{worker.log()}" for worker in self.workers)

    def stop(self) -> None:
        for worker in self.workers:
            if worker.alive:
                worker.process.terminate()  # both at once; each stop() below then only waits
        for worker in self.workers:
            worker.stop()
