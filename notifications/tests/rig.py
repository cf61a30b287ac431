"""Real parts for the notification tests: an SMTP server and an HTTP receiver on
loopback, and a Celery worker (in a thread of the test process) on a given broker."""

from __future__ import annotations

import contextlib
import email
import http.server
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check: Callable[[], bool], *, within: float = 20.0, what: str = "") -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"not within {within} s: {what}")


@dataclass
class Mailbox:
    """What the SMTP server received: one parsed message per recipient."""

    messages: list[Message] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.original_content)
        with self.lock:
            for recipient in envelope.rcpt_tos:
                message["X-Envelope-To"] = recipient
                self.messages.append(message)
        return "250 OK"

    def count(self) -> int:
        with self.lock:
            return len(self.messages)

    def to(self, address: str) -> list[Message]:
        with self.lock:
            return [m for m in self.messages if m["X-Envelope-To"] == address]


def bodies(message: Message) -> str:
    """Text and HTML parts of a message, decoded."""
    parts = message.walk() if message.is_multipart() else [message]
    return "\n".join(
        part.get_payload(decode=True).decode()
        for part in parts
        if part.get_content_type() in ("text/plain", "text/html")
    )


@contextlib.contextmanager
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


class Receiver:
    """An HTTP server on loopback that records each POST and answers as told:
    `behaviour` is a status code, "slow" (answers after `delay`), "drip" (sends its
    status line one byte at a time) or "close" (drops the connection)."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.behaviour: int | str = 200
        self.delay = 3.0
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                receiver.requests.append(Received(dict(self.headers.items()), body))
                behaviour = receiver.behaviour
                if behaviour == "close":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if behaviour == "slow":
                    time.sleep(receiver.delay)
                    behaviour = 200
                if behaviour == "drip":
                    for byte in b"HTTP/1.1 200 OK\r\n":
                        try:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                        except OSError:
                            return
                        time.sleep(0.2)
                    return
                self.send_response(int(behaviour))
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/amrutam?x=1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextlib.contextmanager
def celery_worker(broker_url: str) -> Iterator[Any]:
    """A Celery worker in a thread of this process, consuming from `broker_url`, with its
    own app made the current one (tasks published by the code under test go there)."""
    from celery import Celery
    from celery.contrib.testing.worker import start_worker

    import amrutam.celery
    import notifications.tasks  # noqa: F401 - registers the shared tasks

    app = Celery("amrutam-test", set_as_current=True)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.broker_url = broker_url
    app.conf.result_backend = None
    app.conf.task_always_eager = False
    app.finalize()
    with app.connection_for_write() as connection:
        # Messages left over from other tests' commits must not run here.
        app.amqp.queues["celery"].bind(connection.default_channel).purge()
    try:
        with start_worker(
            app, pool="threads", concurrency=4, perform_ping_check=False, shutdown_timeout=15
        ) as worker:
            yield worker
    finally:
        amrutam.celery.app.set_current()
        amrutam.celery.app.set_default()
