"""The production log handler: request threads queue lines, one writer writes them."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import textwrap
import threading
import time

import structlog

from amrutam.common.logging import QueuedStreamHandler, json_formatter


class SlowStream(io.StringIO):
    """A stream whose writes take a while and record which thread made them."""

    def __init__(self) -> None:
        super().__init__()
        self.writers: list[str] = []

    def write(self, text: str) -> int:
        self.writers.append(threading.current_thread().name)
        time.sleep(0.005)
        return super().write(text)


def make_logger(name: str, stream: io.StringIO) -> tuple[logging.Logger, QueuedStreamHandler]:
    handler = QueuedStreamHandler(stream)
    handler.setFormatter(json_formatter())
    logger = logging.getLogger(name)
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, handler


def lines_of(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_lines_from_many_threads_are_all_written_whole_with_their_request_ids():
    stream = io.StringIO()
    logger, handler = make_logger("test.queued.many", stream)
    barrier = threading.Barrier(8)

    def work(worker: int) -> None:
        structlog.contextvars.bind_contextvars(request_id=f"req-{worker}")
        barrier.wait()
        for n in range(250):
            logger.info("request", extra={"n": n, "worker": worker})

    threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    handler.flush()

    lines = lines_of(stream)
    assert len(lines) == 2000
    assert all(line["request_id"] == f"req-{line['worker']}" for line in lines)
    for worker in range(8):
        # One writer keeps each thread's lines in the order that thread logged them.
        assert [line["n"] for line in lines if line["worker"] == worker] == list(range(250))


def test_info_lines_are_written_by_the_writer_thread_not_the_caller():
    stream = SlowStream()
    logger, handler = make_logger("test.queued.writer", stream)

    started = time.perf_counter()
    for n in range(20):
        logger.info("request", extra={"n": n})
    queued_in = time.perf_counter() - started
    deadline = time.monotonic() + 5
    while len(stream.getvalue().splitlines()) < 20 and time.monotonic() < deadline:
        time.sleep(0.01)

    assert [line["n"] for line in lines_of(stream)] == list(range(20))
    assert set(stream.writers) == {"log-writer"}
    # Twenty writes of 5 ms each would take 100 ms in the caller.
    assert queued_in < 0.05
    handler.close()


def test_warnings_and_errors_are_written_before_the_call_returns_after_queued_lines():
    stream = SlowStream()
    logger, handler = make_logger("test.queued.errors", stream)
    handler.FLUSH_SECONDS = 60  # the writer would not write the queued line in time

    logger.info("before")
    logger.error("boom", extra={"code": "x"})

    # No flush: both lines are already out, written by this thread, in order.
    assert [line["event"] for line in lines_of(stream)] == ["before", "boom"]
    assert set(stream.writers) == {threading.current_thread().name}
    handler.close()


def test_a_process_writes_its_queued_lines_before_it_exits():
    code = textwrap.dedent(
        """
        import logging, sys
        from amrutam.common.logging import QueuedStreamHandler, json_formatter
        handler = QueuedStreamHandler(sys.stdout)
        handler.setFormatter(json_formatter())
        logger = logging.getLogger("exit")
        logger.handlers = [handler]
        logger.setLevel(logging.INFO)
        for n in range(500):
            logger.info("line", extra={"n": n})
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "amrutam.settings.test"},
        timeout=60,
    ).stdout

    assert [json.loads(line)["n"] for line in out.splitlines()] == list(range(500))


def test_a_forked_child_writes_its_own_lines_only():
    read_end, write_end = os.pipe()
    parent_stream = io.StringIO()
    logger, handler = make_logger("test.queued.fork", parent_stream)
    logger.info("parent-before")
    handler.flush()

    pid = os.fork()
    if pid == 0:  # the child: its lines go to the pipe
        try:
            handler.stream = os.fdopen(write_end, "w")
            logger.info("child")
            handler.flush()
        finally:
            os._exit(0)
    os.close(write_end)
    os.waitpid(pid, 0)
    with os.fdopen(read_end) as pipe:
        child_lines = [json.loads(line)["event"] for line in pipe.read().splitlines()]
    logger.info("parent-after")
    handler.flush()

    assert child_lines == ["child"]
    assert [line["event"] for line in lines_of(parent_stream)] == ["parent-before", "parent-after"]
