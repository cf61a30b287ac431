"""The outbox relay thread: committed events reach the workers, several per message, each
once; a failed publish loses nothing the sweep cannot find."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest

from notifications.models import OutboxEvent
from notifications.relay import BATCH_SIZE, Relay

from .rig import wait_for


class Recorder:
    def __init__(self, *, fail_first: int = 0) -> None:
        self.batches: list[list[str]] = []
        self.lock = threading.Lock()
        self.fail_first = fail_first

    def __call__(self, ids: list[str]) -> None:
        with self.lock:
            if self.fail_first:
                self.fail_first -= 1
                raise ConnectionError("broker down")
            self.batches.append(list(ids))

    def published(self) -> list[str]:
        with self.lock:
            return [i for batch in self.batches for i in batch]


@pytest.fixture
def relay_of() -> Any:
    made: list[Relay] = []

    def make(recorder: Recorder) -> Relay:
        made.append(Relay(recorder))
        return made[-1]

    yield make
    for relay in made:
        relay.stop()


def test_ids_added_together_go_out_in_few_messages_each_once_in_order(relay_of):
    recorder = Recorder()
    relay = relay_of(recorder)
    ids = [f"event-{n}" for n in range(2 * BATCH_SIZE + 50)]

    for event_id in ids:
        relay.add(event_id)
    wait_for(lambda: len(recorder.published()) == len(ids), within=5, what="every id")

    assert recorder.published() == ids
    assert all(len(batch) <= BATCH_SIZE for batch in recorder.batches)
    # Added within microseconds of each other: far fewer messages than ids.
    assert len(recorder.batches) <= len(ids) // 10


def test_ids_added_from_many_threads_are_published_once_each(relay_of):
    recorder = Recorder()
    relay = relay_of(recorder)
    start = threading.Barrier(8)

    def add(thread_no: int) -> None:
        start.wait()
        for n in range(50):
            relay.add(f"t{thread_no}-{n}")

    threads = [threading.Thread(target=add, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wait_for(lambda: len(recorder.published()) == 400, within=5, what="400 ids")

    assert sorted(recorder.published()) == sorted(f"t{t}-{n}" for t in range(8) for n in range(50))


def test_a_failed_publish_does_not_stop_the_relay(relay_of):
    recorder = Recorder(fail_first=1)
    relay = relay_of(recorder)

    relay.add("lost-to-the-outage")
    wait_for(lambda: recorder.fail_first == 0, within=5, what="the failed publish")
    relay.add("after-the-outage")
    wait_for(lambda: recorder.published() == ["after-the-outage"], within=5, what="next id")


def test_stop_publishes_what_is_queued(relay_of):
    recorder = Recorder()
    relay = relay_of(recorder)

    for n in range(30):
        relay.add(n)
    relay.stop()

    assert recorder.published() == [str(n) for n in range(30)]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_bookings_handed_over_by_the_relay_are_dispatched_and_emailed_once(
    settings, mail, worker, slot_in, booked
):
    from notifications.relay import relay

    settings.OUTBOX_RELAY_IN_BACKGROUND = True
    try:
        for hours in (5, 6, 7):
            booked(slot_in(dt.timedelta(hours=hours)))
        wait_for(lambda: mail.count() == 6, what="a confirmation to patient and doctor each")
        wait_for(
            lambda: not OutboxEvent.objects.filter(dispatched_at__isnull=True).exists(),
            what="every event dispatched",
        )
    finally:
        relay.stop()

    assert OutboxEvent.objects.count() == 3
    assert mail.count() == 6
