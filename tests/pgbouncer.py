"""A private PgBouncer in transaction pooling mode in front of a test database.

Debian's `pgbouncer` (`make pgbouncer` installs it). Each instance writes its own
pgbouncer.ini into a temporary directory, listens on loopback only and dies with the
test, so the shared services are never touched. PGBOUNCER_TEST_PORT picks the port
(free ports otherwise), for machines where several checkouts test side by side.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
ENGINE = "amrutam.common.pgbouncer"


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _pick_port() -> int:
    wanted = os.environ.get("PGBOUNCER_TEST_PORT")
    if wanted and _port_free(int(wanted)):
        return int(wanted)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivatePgBouncer:
    """pgbouncer with pool_mode=transaction, trust auth, forwarding every database."""

    def __init__(
        self,
        *,
        server_host: str,
        server_port: int,
        pool_size: int = 20,
        query_wait_timeout: int = 5,
    ) -> None:
        self.query_wait_timeout = query_wait_timeout
        if not Path(PGBOUNCER).exists():
            raise RuntimeError("pgbouncer not found: run `make pgbouncer` (Debian's package).")
        self.server_host, self.server_port, self.pool_size = server_host, server_port, pool_size
        self.root = Path(tempfile.mkdtemp(prefix="amrutam-pgbouncer-"))
        self.port = _pick_port()
        self.log = self.root / "pgbouncer.log"
        self.proc: subprocess.Popen | None = None

    def url(self, database: str, user: str = "postgres") -> str:
        return f"postgres://{user}@127.0.0.1:{self.port}/{database}"

    def transactions(self, database: str) -> int:
        """How many transactions of `database` PgBouncer has served (its SHOW STATS)."""
        import psycopg

        with psycopg.connect(self.url("pgbouncer"), autocommit=True) as admin:
            cursor = psycopg.ClientCursor(admin)
            cursor.execute("SHOW STATS")
            names = [column.name for column in cursor.description or []]
            for row in cursor.fetchall():
                stats = dict(zip(names, row, strict=True))
                if stats["database"] == database:
                    return int(stats["total_xact_count"])
        return 0

    def _write_config(self) -> Path:
        (self.root / "userlist.txt").write_text('"postgres" ""\n')
        config = self.root / "pgbouncer.ini"
        config.write_text(
            "\n".join(
                [
                    "[databases]",
                    f"* = host={self.server_host} port={self.server_port}",
                    "[pgbouncer]",
                    "listen_addr = 127.0.0.1",
                    f"listen_port = {self.port}",
                    "unix_socket_dir =",
                    "auth_type = trust",
                    f"auth_file = {self.root / 'userlist.txt'}",
                    "pool_mode = transaction",
                    f"default_pool_size = {self.pool_size}",
                    "max_client_conn = 500",
                    # Transaction pooling resets nothing between clients: the service
                    # leaves no session state to reset.
                    "server_reset_query =",
                    # After a failed connect to PostgreSQL, try again within a second
                    # (default 15 s), so a restarted database is used at once.
                    "server_login_retry = 1",
                    "server_connect_timeout = 2",
                    # A client waiting for a free server connection gives up (an error
                    # the service answers 503) rather than queueing without end.
                    f"query_wait_timeout = {self.query_wait_timeout}",
                    "admin_users = postgres",
                    f"logfile = {self.log}",
                    f"pidfile = {self.root / 'pgbouncer.pid'}",
                    "",
                ]
            )
        )
        return config

    def start(self) -> None:
        config = self._write_config()
        command = [PGBOUNCER, str(config)]
        if os.geteuid() == 0:
            # pgbouncer refuses to run as root.
            shutil.chown(self.root, "postgres", "postgres")
            for path in self.root.iterdir():
                shutil.chown(path, "postgres", "postgres")
            command = [PGBOUNCER, "-u", "postgres", str(config)]
        # Its log lines go to stderr as well as to the log file: into a file, since a
        # pipe nobody reads would fill up and stop pgbouncer mid-test.
        output = self.root / "stderr.log"
        with output.open("w") as sink:
            self.proc = subprocess.Popen(
                command, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"pgbouncer exited: {output.read_text()[-2000:]}")
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("pgbouncer did not start listening")

    def destroy(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def routed_through(bouncer: PrivatePgBouncer, alias: str = "default") -> Iterator[None]:
    """Every connection of `alias` opened inside goes through `bouncer`, with the backend
    that DATABASE_POOLER=pgbouncer selects; the direct route is restored on exit.

    The settings dict is changed in place because Django's per-thread connections are
    all made from it, so threads started inside (a race's) take the same route.
    """
    from django.db import connections

    settings_dict = connections.settings[alias]
    saved = {**settings_dict, "OPTIONS": {**settings_dict["OPTIONS"]}}
    connections[alias].close()
    del connections[alias]
    settings_dict.update(ENGINE=ENGINE, HOST="127.0.0.1", PORT=str(bouncer.port))
    try:
        yield
    finally:
        connections[alias].close()
        del connections[alias]
        settings_dict.clear()
        settings_dict.update(saved)
