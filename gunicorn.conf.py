"""gunicorn configuration for `gunicorn amrutam.wsgi` (the gthread worker)."""

import importlib
import multiprocessing
import os
import shutil
import subprocess  # nosec B404
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
worker_class = "gthread"
# Chosen with `make bench` on 2 cores (wrk on the same cores). Every request is
# CPU-bound, so more processes than cores only add switching; but with one listening
# socket shared by all workers, one worker sometimes accepted every connection of a run
# and served it alone at half the rate (on /health anywhere from 1,000 to 3,700 req/s
# from one run to the next). With reuse_port each worker listens on its own socket and
# the kernel spreads connections over them: one worker per core, four threads each,
# gave /health about 4,000 req/s and availability about 1,470 req/s with p99 under
# 50 ms, run after run (4x4 and 4x2: 3,100-3,650 and 1,340-1,360; 2x8: 4,330 and 1,400
# with p99 over 50 ms; 2x2: 3,490 and 1,400). Bookings are about 130/s in every shape.
# The cost of reuse_port: connections still waiting in the backlog of a worker that
# exits are reset, so set GUNICORN_REUSE_PORT=false where restarts must never reset
# an accepted connection.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count()))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 20
keepalive = 5
reuse_port = os.environ.get("GUNICORN_REUSE_PORT", "true").lower() == "true"
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 0))
max_requests_jitter = 200
# Access lines come from the application's own JSON log, with the request id.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "warning")
# Headers from the TLS-terminating proxy are trusted from these addresses only.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# Metrics are summed over every worker: prometheus_client's multiprocess mode keeps
# each worker's figures in files here, and /metrics reads them all. Set before the
# workers fork, so each of them sees it.
METRICS_DIR = os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR",
    os.path.join(tempfile.gettempdir(), f"amrutam-metrics-{os.getpid()}"),
)


def _refuse_bad_settings():
    """Stop the master with the settings' one-line reason for refusing to start.

    Otherwise every worker fails to boot with a traceback that buries the reason.
    """
    from django.core.exceptions import ImproperlyConfigured

    try:
        # What amrutam.wsgi loads unless told otherwise.
        importlib.import_module(
            os.environ.get("DJANGO_SETTINGS_MODULE", "amrutam.settings.production")
        )
    except ImproperlyConfigured as exc:
        sys.exit(str(exc))


# Exit codes of `manage.py check_encryption_keys`.
WRONG_ENCRYPTION_KEY = 1
DATABASE_UNAVAILABLE = 2


def _refuse_wrong_encryption_key():
    """Stop the master when the configured keys decrypt none of the stored data.

    A wrong key would otherwise serve every request that reads PHI a 503. Run in a
    process of its own, so the master loads no Django and holds no database connection
    when it forks. A database that cannot be read yet does not stop the start: the
    service waits for it (and `/ready` says so). Production settings only: a local or
    test server starts without the extra process.
    """
    settings_module = os.environ.get("DJANGO_SETTINGS_MODULE", "amrutam.settings.production")
    if settings_module != "amrutam.settings.production":
        return
    # Fixed arguments, no shell.
    done = subprocess.run(  # noqa: S603  # nosec B603
        [sys.executable, os.path.join(HERE, "manage.py"), "check_encryption_keys"],
        cwd=HERE,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode == WRONG_ENCRYPTION_KEY:
        sys.exit(f"Refusing to start: {done.stderr.strip()}")
    if done.returncode != 0:
        print(done.stderr.strip(), file=sys.stderr)


def on_starting(server):
    _refuse_bad_settings()
    _refuse_wrong_encryption_key()
    shutil.rmtree(METRICS_DIR, ignore_errors=True)
    os.makedirs(METRICS_DIR, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
