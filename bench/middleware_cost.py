"""Each middleware's own cost per request (`make bench-middleware`).

Seeds the bench database as `make bench` does, then serves requests in this process
through Django's WSGI handler with every entry of MIDDLEWARE wrapped in a clock: /health,
availability reads and bookings of distinct free slots, with production settings on
PostgreSQL and Redis. A layer's own time is its time minus the time of the layers inside
it, so the rows add up to the whole request; `process_view` and the other hooks count
for their middleware. CPU is this thread's (`time.thread_time`): it leaves out waiting on
the database and on the GIL held by the sealer and relay threads, which wall time keeps.

Prints one table per scenario and writes bench/results/middleware-<stamp>.json. No wrk
and no gunicorn: what gunicorn costs per request is `make bench`'s business.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import harness

VIEW = "view (URL resolution, DRF, the view)"
HANDLER = "WSGI handler (request, signals, response)"
HOOKS = ("process_view", "process_exception", "process_template_response")


class LayerClock:
    """Own CPU and wall time per named layer, of nested timed calls in one thread."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = defaultdict(float)
        self.wall: dict[str, float] = defaultdict(float)
        self.requests = 0
        # One frame per timed call in progress: the time its nested calls took.
        self._stack: list[list[float]] = []

    def reset(self) -> None:
        self.cpu.clear()
        self.wall.clear()
        self.requests = 0

    def timed(self, name: str, fn: Callable[..., Any], *args: Any) -> Any:
        self._stack.append([0.0, 0.0])
        cpu0, wall0 = time.thread_time(), time.perf_counter()
        try:
            return fn(*args)
        finally:
            cpu, wall = time.thread_time() - cpu0, time.perf_counter() - wall0
            inner_cpu, inner_wall = self._stack.pop()
            self.cpu[name] += cpu - inner_cpu
            self.wall[name] += wall - inner_wall
            if self._stack:
                self._stack[-1][0] += cpu
                self._stack[-1][1] += wall

    def rows(self, order: list[str]) -> list[dict[str, Any]]:
        """Per layer, in `order`: microseconds per request and share of the CPU."""
        n = max(self.requests, 1)
        total = sum(self.cpu.values()) or 1.0
        return [
            {
                "layer": name,
                "cpu_us": round(self.cpu[name] / n * 1e6, 1),
                "wall_us": round(self.wall[name] / n * 1e6, 1),
                "cpu_share": round(self.cpu[name] / total, 4),
            }
            for name in order
        ]


class TimedLayer:
    """A middleware instance whose calls and hooks are timed under its settings path."""

    def __init__(self, clock: LayerClock, name: str, cls: type, get_response: Any) -> None:
        self._clock, self._name = clock, name
        self._inner = cls(get_response)
        for hook in HOOKS:
            method = getattr(self._inner, hook, None)
            if method is not None:
                # Django looks the hooks up with hasattr on the instance it was given.
                setattr(self, hook, self._timed_hook(method))

    def _timed_hook(self, method: Callable[..., Any]) -> Callable[..., Any]:
        return lambda *args: self._clock.timed(self._name, method, *args)

    def __call__(self, request: Any) -> Any:
        return self._clock.timed(self._name, self._inner, request)


@contextmanager
def _timed_middleware(clock: LayerClock) -> Iterator[None]:
    """While Django loads MIDDLEWARE, hand it a TimedLayer factory for each entry.

    Django instantiates them innermost first, so the first one created wraps the view.
    """
    from django.core.handlers import base
    from django.utils.module_loading import import_string

    innermost = [True]

    def load(path: str) -> Any:
        cls = import_string(path)

        def factory(get_response: Any) -> TimedLayer:
            if innermost[0]:
                innermost[0] = False
                view = get_response
                get_response = lambda request: clock.timed(VIEW, view, request)  # noqa: E731
            return TimedLayer(clock, path, cls, get_response)

        return factory

    with mock.patch.object(base, "import_string", load):
        yield


def timed_handler(clock: LayerClock) -> Callable[[dict[str, Any]], tuple[int, bytes]]:
    """A WSGI handler with timed middleware; calling it with an environ returns the
    answer's status and body, and counts one request on the clock."""
    from django.core.handlers.wsgi import WSGIHandler

    with _timed_middleware(clock):
        handler = WSGIHandler()

    def call(environ: dict[str, Any]) -> tuple[int, bytes]:
        status: list[str] = []

        def start_response(line: str, headers: Any, exc_info: Any = None) -> None:
            status.append(line)

        def serve() -> bytes:
            response = handler(environ, start_response)
            try:
                return b"".join(response)
            finally:
                response.close()

        body = clock.timed(HANDLER, serve)
        clock.requests += 1
        return int(status[0].split()[0]), body

    return call


def environ(
    method: str, path: str, *, query: str = "", body: bytes = b"", **headers: str
) -> dict[str, Any]:
    """A WSGI environ as gunicorn builds it for a request from loopback."""
    env: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8100",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    if body:
        env["CONTENT_TYPE"] = "application/json"
        env["CONTENT_LENGTH"] = str(len(body))
    for name, value in headers.items():
        env[f"HTTP_{name.upper()}"] = value
    return env


def clock_overhead_us(calls: int = 20000) -> float:
    """CPU microseconds one timed call adds around what it times (charged to the rows)."""
    clock = LayerClock()
    noop = int
    started = time.thread_time()
    for _ in range(calls):
        clock.timed("noop", noop)
    timed = time.thread_time() - started
    started = time.thread_time()
    for _ in range(calls):
        noop()
    plain = time.thread_time() - started
    return round((timed - plain) / calls * 1e6, 2)


def layer_order() -> list[str]:
    from django.conf import settings

    return [HANDLER, *settings.MIDDLEWARE, VIEW]


def measure(
    clock: LayerClock,
    call: Callable[[dict[str, Any]], tuple[int, bytes]],
    environs: Iterator[dict[str, Any]],
    *,
    count: int,
    warm_up: int,
) -> dict[int, int]:
    """Serve `warm_up` untimed requests, then `count` timed ones; statuses counted."""
    statuses: dict[int, int] = defaultdict(int)
    for _ in range(warm_up):
        call(next(environs))
    clock.reset()
    for _ in range(count):
        status, _body = call(next(environs))
        statuses[status] += 1
    return dict(statuses)


def _login(call: Callable[[dict[str, Any]], tuple[int, bytes]], email: str) -> str:
    import scenarios

    body = json.dumps({"email": email, "password": scenarios.PASSWORD}).encode()
    status, answer = call(environ("POST", "/api/v1/auth/login", body=body))
    if status != 200:
        sys.exit(f"login of {email} answered {status}: {answer[:200]!r}")
    return str(json.loads(answer)["data"]["token"])


def _scenarios(
    data_dir: Any, tokens: list[str]
) -> dict[str, Callable[[], Iterator[dict[str, Any]]]]:
    doctors = (data_dir / "doctors.txt").read_text().split()
    slots = [line.split(",") for line in (data_dir / "booking_slots.txt").read_text().split()]

    def health() -> Iterator[dict[str, Any]]:
        while True:
            yield environ("GET", "/health")

    def availability() -> Iterator[dict[str, Any]]:
        n = 0
        while True:
            n += 1
            yield environ(
                "GET",
                f"/api/v1/doctors/{doctors[n % len(doctors)]}/availability",
                query="days=7",
                AUTHORIZATION=f"Bearer {tokens[n % len(tokens)]}",
            )

    def booking() -> Iterator[dict[str, Any]]:
        for n, (doctor, slot) in enumerate(slots):
            body = json.dumps({"doctorId": doctor, "slotId": slot}).encode()
            yield environ(
                "POST",
                "/api/v1/consultations/bookings",
                body=body,
                AUTHORIZATION=f"Bearer {tokens[n % len(tokens)]}",
                IDEMPOTENCY_KEY=f"layers-{uuid.uuid4().hex}",
            )

    return {"health": health, "availability": availability, "booking": booking}


def _print(out: Any, name: str, statuses: dict[int, int], rows: list[dict[str, Any]]) -> None:
    print(f"\n{name}: statuses {statuses}", file=out)
    print(f"{'layer':<52} {'CPU us':>8} {'wall us':>9} {'CPU %':>6}", file=out)
    for row in rows:
        print(
            f"{row['layer']:<52} {row['cpu_us']:>8.1f} {row['wall_us']:>9.1f} "
            f"{row['cpu_share'] * 100:>6.1f}",
            file=out,
        )
    print(
        f"{'total':<52} {sum(r['cpu_us'] for r in rows):>8.1f} "
        f"{sum(r['wall_us'] for r in rows):>9.1f}",
        file=out,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000, help="timed per read scenario")
    parser.add_argument("--bookings", type=int, default=1200, help="timed bookings")
    parser.add_argument("--warm-up", type=int, default=200, help="untimed first requests")
    parser.add_argument("--patients", type=int, default=16, help="patients whose tokens book")
    args = parser.parse_args()

    import run
    import scenarios

    side = run.current_side()
    env = side.env()
    scenarios.prepare(side, env)
    free = len((side.data_dir / "booking_slots.txt").read_text().split())
    if args.warm_up + args.bookings > free:
        # Each booking takes a distinct free slot: a generator that runs out mid-run
        # would end it with a StopIteration instead of a figure.
        parser.error(f"--warm-up plus --bookings exceed the {free} free slots seeded")
    os.environ.update(env)
    sys.path.insert(0, str(harness.ROOT))
    import django

    # The access log's lines are formatted and written as under gunicorn, to nowhere
    # rather than over the tables.
    out, sys.stdout = sys.stdout, open(os.devnull, "w")  # noqa: SIM115
    django.setup()

    clock = LayerClock()
    call = timed_handler(clock)
    emails = (side.data_dir / "patients.txt").read_text().split()[: args.patients]
    tokens = [_login(call, email) for email in emails]
    plans = _scenarios(side.data_dir, tokens)
    counts = {"health": args.requests, "availability": args.requests, "booking": args.bookings}
    overhead = clock_overhead_us()
    results: dict[str, Any] = {
        "commit": harness.git_commit(),
        "clock_overhead_us_per_layer": overhead,
        "scenarios": {},
    }
    print(f"the clock adds about {overhead} us of CPU per layer and request", file=out)
    for name, make in plans.items():
        statuses = measure(clock, call, make(), count=counts[name], warm_up=args.warm_up)
        rows = clock.rows(layer_order())
        results["scenarios"][name] = {"statuses": statuses, "requests": counts[name], "rows": rows}
        _print(out, name, statuses, rows)
    path = run.RESULTS / f"middleware-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwritten to {path.relative_to(harness.ROOT)}", file=out)


if __name__ == "__main__":
    main()
