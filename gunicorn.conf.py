"""gunicorn configuration for `gunicorn amrutam.wsgi` (the gthread worker)."""

import importlib
import multiprocessing
import os
import shutil
import sys
import tempfile

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
worker_class = "gthread"
# Chosen with `make bench` on 2 cores (wrk on the same cores): 2, 3, 4, 6 and 8 workers
# of 1 to 8 threads all land within the run-to-run noise on /health, availability and
# bookings, which are CPU-bound. What differs is the spread: with 2 workers, one of them
# sometimes accepts every connection of a run and serves it alone (half the rate), and
# with one thread per worker a slow database call idles the worker. Two workers per
# core, four threads each, avoid both; the threads also cover database waits.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 20
keepalive = 5
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


def on_starting(server):
    _refuse_bad_settings()
    shutil.rmtree(METRICS_DIR, ignore_errors=True)
    os.makedirs(METRICS_DIR, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
