"""`bench/middleware_cost.py`: own time per layer adds up, and the timed handler serves
what the plain one serves, with every middleware and its hooks on the clock."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import middleware_cost
from middleware_cost import HANDLER, VIEW, LayerClock


class FakeTime:
    """A clock that moves only when told: CPU and wall advance together."""

    def __init__(self) -> None:
        self.now = 0.0

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def thread_time(self) -> float:
        return self.now

    def perf_counter(self) -> float:
        return self.now


@pytest.fixture
def fake_time(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    fake = FakeTime()
    monkeypatch.setattr(middleware_cost, "time", fake)
    return fake


def test_a_layer_is_charged_its_own_time_not_its_inner_layers(fake_time: FakeTime):
    clock = LayerClock()

    def inner() -> str:
        fake_time.advance(3)
        return "answer"

    def middle() -> str:
        fake_time.advance(2)
        result = clock.timed("inner", inner)
        fake_time.advance(1)
        return result

    def outer() -> str:
        fake_time.advance(5)
        return clock.timed("middle", middle)

    assert clock.timed("outer", outer) == "answer"
    clock.requests = 1

    assert dict(clock.cpu) == {"outer": 5, "middle": 3, "inner": 3}
    assert dict(clock.wall) == {"outer": 5, "middle": 3, "inner": 3}
    rows = {row["layer"]: row for row in clock.rows(["outer", "middle", "inner"])}
    assert rows["outer"]["cpu_us"] == 5e6
    assert rows["middle"]["cpu_share"] == round(3 / 11, 4)


def test_a_failing_inner_call_still_charges_each_layer(fake_time: FakeTime):
    clock = LayerClock()

    def inner() -> None:
        fake_time.advance(4)
        raise ValueError("refused")

    def outer() -> None:
        fake_time.advance(1)
        try:
            clock.timed("inner", inner)
        except ValueError:
            fake_time.advance(2)

    clock.timed("outer", outer)

    assert dict(clock.cpu) == {"outer": 3, "inner": 4}


@pytest.mark.django_db
def test_the_timed_handler_serves_as_django_does_and_times_every_middleware(settings: Any):
    clock = LayerClock()
    call = middleware_cost.timed_handler(clock)

    status, body = call(middleware_cost.environ("GET", "/health"))
    missing_status, _ = call(middleware_cost.environ("GET", "/no-such-route"))

    assert status == 200
    assert b'"status"' in body
    assert missing_status == 404
    assert clock.requests == 2
    order = middleware_cost.layer_order()
    assert order == [HANDLER, *settings.MIDDLEWARE, VIEW]
    untimed = [name for name in order if clock.wall.get(name, 0.0) <= 0.0]
    assert untimed == []


@pytest.mark.django_db
def test_a_middleware_hook_is_charged_to_its_middleware(
    monkeypatch: pytest.MonkeyPatch, fake_time: FakeTime
):
    from django.middleware.csrf import CsrfViewMiddleware

    original = CsrfViewMiddleware.process_view

    def slow_process_view(self: Any, request: Any, *args: Any) -> Any:
        fake_time.advance(1000)
        return original(self, request, *args)

    monkeypatch.setattr(CsrfViewMiddleware, "process_view", slow_process_view)
    clock = LayerClock()
    call = middleware_cost.timed_handler(clock)

    status, _ = call(middleware_cost.environ("GET", "/health"))

    assert status == 200
    # Django calls process_view from inside the innermost layer, next to the view.
    assert clock.cpu["django.middleware.csrf.CsrfViewMiddleware"] == 1000
    assert clock.cpu[VIEW] == 0
    assert sum(clock.cpu.values()) == 1000
