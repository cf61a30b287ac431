"""What the benchmark and the soak share: the server's environment, a fresh database,
gunicorn, logins, and readings of processes, the machine and the bookings table."""

from __future__ import annotations

import base64
import json
import os
import secrets
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
# The statuses that hold a slot (the partial unique index's condition).
ACTIVE = ("PENDING", "ACTIVE", "COMPLETED")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def production_env(
    *,
    pg_url: str,
    db_name: str,
    redis_url: str,
    port: int,
    cache_prefix: str,
    drop: tuple[str, ...] = ("DJANGO_",),
    **extra: str,
) -> dict[str, str]:
    """The environment of a production-settings server on loopback, with fresh secrets:
    this process's environment minus variables starting with `drop`, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(
        DJANGO_SETTINGS_MODULE="amrutam.settings.production",
        DATABASE_URL=f"{pg_url}/{db_name}",
        REDIS_URL=redis_url,
        CACHE_KEY_PREFIX=cache_prefix,
        JWT_SECRET=secrets.token_urlsafe(48),
        ENCRYPTION_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_TLS="false",
        PAYMENT_GATEWAY="sandbox",
        RAZORPAY_KEY_ID="rzp_test_local",
        RAZORPAY_KEY_SECRET=secrets.token_hex(16),
        RAZORPAY_WEBHOOK_SECRET=secrets.token_hex(16),
        GUNICORN_BIND=f"127.0.0.1:{port}",
        **extra,
    )
    return env


def manage(env: dict[str, str], *args: str, root: Path = ROOT, python: str = PYTHON) -> None:
    """`manage.py` of the tree at `root`, run by that tree's interpreter."""
    subprocess.run(
        [python, "manage.py", *args], cwd=root, env=env, check=True, stdout=subprocess.DEVNULL
    )


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
    root: Path = ROOT,
    python: str = PYTHON,
) -> subprocess.Popen:
    """gunicorn with `gunicorn.conf.py` of the tree at `root`, once `booted(proc)` holds
    and /ready is 200."""
    proc = subprocess.Popen(
        [python, "-m", "gunicorn", "amrutam.wsgi", "-c", "gunicorn.conf.py"],
        cwd=root,
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


# --- Readings ------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def children(parent: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == parent:
                pids.append(int(entry.name))
    return pids


def worker_pids(proc: subprocess.Popen) -> list[int]:
    try:
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text()
    except OSError:
        return []
    return sorted(int(pid) for pid in children.split())


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def cpu_pressure() -> float | None:
    """Share of the last 10 s in which some runnable task waited for a CPU (Linux PSI).

    A truer sign of other load than the load average, which also counts waiting on I/O
    and trails by minutes.
    """
    try:
        line = Path("/proc/pressure/cpu").read_text().splitlines()[0]
    except (OSError, IndexError):
        return None
    return float(line.split("avg10=")[1].split()[0])


def gunicorn_settings(
    env: dict[str, str], root: Path = ROOT, python: str = PYTHON
) -> dict[str, object]:
    """Workers and threads as gunicorn.conf.py resolves them for this environment."""
    code = (
        "import runpy, json; c = runpy.run_path('gunicorn.conf.py'); "
        "print(json.dumps({k: c[k] for k in ('workers', 'threads', 'worker_class')}))"
    )
    out = subprocess.run(
        [python, "-c", code], cwd=root, env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def git_commit(root: Path = ROOT) -> str | None:
    out = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True
    )
    if out.returncode != 0:
        return None
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=root,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return out.stdout.strip() + ("+changes" if dirty else "")


def double_booked_slots(conn: psycopg.Connection) -> int:
    """Slots holding more than one active consultation, counted by SQL."""
    row = conn.execute(
        "SELECT count(*) FROM (SELECT slot_id FROM consultations_consultation "
        "WHERE status = ANY(%s) GROUP BY slot_id HAVING count(*) > 1) AS dup",
        (list(ACTIVE),),
    ).fetchone()
    return int(row[0])
