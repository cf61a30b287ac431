"""What the benchmark and the soak share: a fresh database, gunicorn, logins."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import psycopg
import redis

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def fresh_database(pg_url: str, db_name: str, redis_url: str) -> None:
    """Drop and create `db_name`, and empty the Redis database."""
    with psycopg.connect(f"{pg_url}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db_name}"')
    redis.Redis.from_url(redis_url).flushdb()


def start_gunicorn(
    env: dict[str, str],
    log_file: Path,
    *,
    port: int,
    timeout: float,
    booted: Callable[[subprocess.Popen], bool] = lambda proc: True,
) -> subprocess.Popen:
    """gunicorn with `gunicorn.conf.py`, once `booted(proc)` holds and /ready is 200."""
    proc = subprocess.Popen(
        [PYTHON, "-m", "gunicorn", "amrutam.wsgi", "-c", "gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=log_file.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"gunicorn exited; see {log_file}")
        if booted(proc):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=2) as r:
                    if r.status == 200:
                        return proc
            except OSError:
                pass
        time.sleep(0.3)
    stop_gunicorn(proc)
    sys.exit(f"gunicorn did not become ready; see {log_file}")


def stop_gunicorn(proc: subprocess.Popen, timeout: float = 30) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def login(port: int, email: str, password: str, timeout: float = 60) -> str:
    """An access token through the public login endpoint."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/auth/login",
        data=json.dumps({"email": email, "password": password}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())["data"]["token"]
