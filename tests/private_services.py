"""Private PostgreSQL, Redis and gunicorn processes for tests that break their dependencies.

Fault tests stop, pause and restart the database and the cache under a running server;
doing that to shared services would break everyone else's work, so each instance here
lives in its own temporary directory on its own free port and dies with the test.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its tools as the `postgres` OS user then."""
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


class PrivatePostgres:
    """A throw-away PostgreSQL cluster: initdb into a temp dir, trust auth, one port."""

    def __init__(self) -> None:
        if not (PG_BIN / "initdb").exists():
            raise RuntimeError(
                f"PostgreSQL 15 server binaries not found in {PG_BIN}: install postgresql-15 "
                "or point PG_BIN at the directory holding initdb and pg_ctl."
            )
        self._make_dirs(prefix="amrutam-pg-")
        subprocess.run(
            _as_postgres(
                [
                    str(PG_BIN / "initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def _make_dirs(self, *, prefix: str) -> None:
        """A temp dir for the data, the socket and the log, owned by the server's user."""
        self.root = Path(tempfile.mkdtemp(prefix=prefix))
        self.data = self.root / "data"
        self.sockets = self.root / "sock"
        self.log = self.root / "server.log"
        self.port = free_port()
        self.sockets.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
            shutil.chown(self.sockets, "postgres", "postgres")

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), *args]),
            check=check,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=60,
        )

    def start(self, *, options: str = "-c full_page_writes=off") -> None:
        """`options`: extra server settings (`-c name=value`)."""
        options = (
            f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 "
            f"-c fsync=off -c max_connections=60 {options}"
        )
        self._ctl("-o", options, "-l", str(self.log), "-w", "-t", "30", "start")

    def stop(self, mode: str = "fast") -> None:
        """`immediate` is a crash: no checkpoint, clients cut off, WAL replayed on start."""
        self._ctl("-m", mode, "-w", "-t", "30", "stop", check=False)

    def _pids(self) -> list[int]:
        """The postmaster first, then its children (every backend and helper process)."""
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        children = Path(f"/proc/{postmaster}/task/{postmaster}/children")
        return [postmaster, *(int(pid) for pid in children.read_text().split())]

    def pause(self) -> None:
        """Hang without closing anything: connections stay open, nothing answers."""
        self.paused = self._pids()
        for pid in self.paused:
            os.kill(pid, signal.SIGSTOP)

    def resume(self) -> None:
        for pid in reversed(getattr(self, "paused", [])):
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
        self.paused = []

    def create_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')

    def destroy(self) -> None:
        self.resume()
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


class PrivateStandby(PrivatePostgres):
    """A hot standby streaming from a running `primary`: a base backup taken with
    pg_basebackup -R (which writes the connection to the primary and standby.signal)
    into its own temp dir, served on its own port."""

    def __init__(self, primary: PrivatePostgres) -> None:
        self._make_dirs(prefix="amrutam-pg-standby-")
        subprocess.run(
            _as_postgres(
                [
                    str(PG_BIN / "pg_basebackup"),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(primary.port),
                    "-U",
                    "postgres",
                    "-D",
                    str(self.data),
                    "-R",
                    "-X",
                    "stream",
                    "-c",
                    "fast",
                    "--no-sync",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=120,
        )

    def start(self, *, options: str = "") -> None:
        super().start(options=f"-c hot_standby=on {options}")


class PrivateRedis:
    """A redis-server without persistence on its own port; can be killed, paused, restarted."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        if shutil.which("redis-server") is None:
            raise RuntimeError("redis-server not found: install redis-server (Redis 7).")
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping()
                return
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    def kill(self) -> None:
        """Stop it dead: connections reset, new ones refused."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def pause(self) -> None:
        """Unreachable but listening: the kernel still accepts connections, nothing answers."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)

    def destroy(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
        self.kill()


@dataclass
class AppServer:
    """gunicorn with production settings against the given database and cache."""

    database_url: str
    redis_url: str
    workers: int = 2
    threads: int = 4
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None

    def __post_init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="amrutam-gunicorn-"))
        self.log = self.root / "server.log"
        # One set of secrets for migrate, seeding and the server: data encrypted while
        # seeding must decrypt in the server.
        self.jwt_secret = secrets.token_urlsafe(48)
        self.encryption_key = base64.b64encode(secrets.token_bytes(32)).decode()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "GUNICORN_"))}
        env.update(
            DJANGO_SETTINGS_MODULE="amrutam.settings.production",
            DATABASE_URL=self.database_url,
            REDIS_URL=self.redis_url,
            CACHE_KEY_PREFIX="fault",
            JWT_SECRET=self.jwt_secret,
            ENCRYPTION_KEY=self.encryption_key,
            ALLOWED_HOSTS="127.0.0.1,localhost",
            PAYMENT_GATEWAY="sandbox",
            RAZORPAY_KEY_ID="rzp_test_local",
            RAZORPAY_KEY_SECRET=secrets.token_hex(16),
            RAZORPAY_WEBHOOK_SECRET=secrets.token_hex(16),
            SECURE_TLS="false",
            GUNICORN_BIND=f"127.0.0.1:{self.port}",
            GUNICORN_WORKERS=str(self.workers),
            GUNICORN_THREADS=str(self.threads),
            PROMETHEUS_MULTIPROC_DIR=str(self.root / "metrics"),
            LOG_LEVEL="WARNING",
        )
        env.update(self.extra_env)
        return env

    def manage(self, *args: str) -> None:
        subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=REPO,
            env=self.env(),
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def run_script(self, script: Path, *args: str) -> str:
        """Run a Django script with the server's environment; return its stdout."""
        done = subprocess.run(
            [sys.executable, str(script), *args],
            cwd=REPO,
            env=self.env(),
            check=True,
            capture_output=True,
            text=True,
        )
        return done.stdout

    def start(self) -> None:
        self._env = self.env()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "amrutam.wsgi", "-c", "gunicorn.conf.py"],
            cwd=REPO,
            env=self._env,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log.read_text()[-3000:]}")
            if len(self.worker_pids()) == self.workers:
                try:
                    if request("GET", f"{self.base}/ready", timeout=2).status == 200:
                        return
                except OSError:
                    pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not become ready:\n{self.log.read_text()[-3000:]}")

    def worker_pids(self) -> list[int]:
        """The master's children, read from /proc (gunicorn workers are its only ones)."""
        if self.proc is None:
            return []
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            return sorted(int(pid) for pid in children.read_text().split())
        except OSError:
            return []

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=25)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)
        except ProcessLookupError:
            pass

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


@dataclass
class Answer:
    status: int
    body: bytes
    headers: dict[str, str]
    started: float
    seconds: float

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def code(self) -> str | None:
        try:
            payload = self.json()
        except ValueError:
            return None
        return payload.get("code") if isinstance(payload, dict) else None


def request(
    method: str,
    url: str,
    *,
    body: Any = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> Answer:
    """One HTTP call; any status is an Answer, a connection failure raises OSError."""
    data = None if body is None else json.dumps(body).encode()
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    req = urllib.request.Request(url, data=data, method=method, headers=all_headers)  # noqa: S310
    started = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:  # noqa: S310
            payload, status, got = response.read(), response.status, dict(response.headers)
    except urllib.error.HTTPError as exc:
        payload, status, got = exc.read(), exc.code, dict(exc.headers)
    return Answer(status, payload, got, started, time.monotonic() - started)
