"""gunicorn.conf.py: the measured defaults, and the environment overriding them."""

import multiprocessing
import runpy
from pathlib import Path

CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"
KNOBS = ("GUNICORN_WORKERS", "GUNICORN_THREADS", "GUNICORN_REUSE_PORT")


def load(monkeypatch, tmp_path, **env):
    for name in KNOBS:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    # The module would set PROMETHEUS_MULTIPROC_DIR for this whole process otherwise.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    return runpy.run_path(str(CONF))


def test_defaults_are_a_gthread_worker_per_core_four_threads_own_sockets(monkeypatch, tmp_path):
    conf = load(monkeypatch, tmp_path)

    assert conf["worker_class"] == "gthread"
    assert (conf["workers"], conf["threads"]) == (multiprocessing.cpu_count(), 4)
    assert conf["reuse_port"] is True


def test_the_environment_overrides_the_counts_and_the_shared_socket(monkeypatch, tmp_path):
    env = {"GUNICORN_WORKERS": "3", "GUNICORN_THREADS": "8", "GUNICORN_REUSE_PORT": "false"}
    conf = load(monkeypatch, tmp_path, **env)

    assert (conf["workers"], conf["threads"], conf["reuse_port"]) == (3, 8, False)
