"""A stand-in Razorpay API on loopback, in a thread: the shapes of Razorpay's documented
requests and answers for orders, payments and refunds, and its signed webhooks.

https://razorpay.com/docs/api/orders/, /payments/, /refunds/, /webhooks/. Faults are
set per test: `fail_orders` answers that many order creations with 500, `slow_orders`
creates that many orders and answers only after `delay` seconds (a client timeout).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

_ids = itertools.count(1)


def _id(prefix: str) -> str:
    return f"{prefix}_{next(_ids):014d}"


def sign(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _error(code: str, description: str) -> dict[str, Any]:
    return {"error": {"code": code, "description": description, "source": "NA", "reason": "NA"}}


class _Server(ThreadingHTTPServer):
    # Room for every racing client's connection at once (the default backlog is 5).
    request_queue_size = 128
    daemon_threads = True


class RazorpayStandIn:
    def __init__(self, *, key_id: str, key_secret: str, webhook_secret: str) -> None:
        self.key_id, self.key_secret, self.webhook_secret = key_id, key_secret, webhook_secret
        self.orders: dict[str, dict[str, Any]] = {}
        self.payments: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.fail_orders = 0
        self.slow_orders = 0
        self.delay = 1.0
        self.refund_status = "processed"
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.server = _Server(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> RazorpayStandIn:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # ------------------------------------------------------------ what a customer does

    def pay(self, order_id: str, *, amount: int | None = None, currency: str | None = None):
        """A captured payment of `order_id` (its amount unless told otherwise) and
        Checkout's signature of it."""
        order = self.orders[order_id]
        payment = {
            "id": _id("pay"),
            "entity": "payment",
            "amount": order["amount"] if amount is None else amount,
            "currency": currency or order["currency"],
            "status": "captured",
            "order_id": order_id,
            "method": "upi",
            "captured": True,
            "amount_refunded": 0,
            "refund_status": None,
            "created_at": int(time.time()),
        }
        self.payments[payment["id"]] = payment
        order.update(status="paid", amount_paid=payment["amount"], amount_due=0)
        signature = sign(self.key_secret, f"{order_id}|{payment['id']}".encode())
        return payment, signature

    def webhook(self, event: str, entity: dict[str, Any], *, event_id: str | None = None):
        """The body and headers Razorpay would POST for `event` about `entity`."""
        kind = "refund" if event.startswith("refund.") else "payment"
        payload: dict[str, Any] = {kind: {"entity": entity}}
        if kind == "refund":
            payload["payment"] = {"entity": self.payments.get(entity["payment_id"], {})}
        body = json.dumps(
            {
                "entity": "event",
                "account_id": "acc_standin",
                "event": event,
                "contains": list(payload),
                "payload": payload,
                "created_at": int(time.time()),
            }
        ).encode()
        headers = {
            "HTTP_X_RAZORPAY_SIGNATURE": sign(self.webhook_secret, body),
            "HTTP_X_RAZORPAY_EVENT_ID": event_id or _id("evt"),
        }
        return body, headers

    # ------------------------------------------------------------ the API

    def _route(self, method: str, path: str, query: dict[str, list[str]], body: Any):
        if method == "POST" and path == "/v1/orders":
            return self._create_order(body)
        if method == "GET" and path == "/v1/orders":
            receipt = query.get("receipt", [None])[0]
            items = [o for o in self.orders.values() if receipt in (None, o["receipt"])]
            return 200, {"entity": "collection", "count": len(items), "items": items}
        if match := re.fullmatch(r"/v1/orders/([^/]+)/payments", path):
            items = [p for p in self.payments.values() if p["order_id"] == match[1]]
            return 200, {"entity": "collection", "count": len(items), "items": items}
        if match := re.fullmatch(r"/v1/payments/([^/]+)", path):
            payment = self.payments.get(match[1])
            if payment is None:
                return 400, _error("BAD_REQUEST_ERROR", "The id provided does not exist")
            return 200, payment
        if method == "POST" and (match := re.fullmatch(r"/v1/payments/([^/]+)/refund", path)):
            return self._refund(match[1], body)
        if match := re.fullmatch(r"/v1/payments/([^/]+)/refunds", path):
            items = [r for r in self.refunds.values() if r["payment_id"] == match[1]]
            return 200, {"entity": "collection", "count": len(items), "items": items}
        if match := re.fullmatch(r"/v1/payments/([^/]+)/refunds/([^/]+)", path):
            refund = self.refunds.get(match[2])
            if refund is None:
                return 400, _error("BAD_REQUEST_ERROR", "The id provided does not exist")
            return 200, refund
        return 404, _error("BAD_REQUEST_ERROR", "The requested URL was not found on the server.")

    def _create_order(self, body: dict[str, Any]):
        if self.fail_orders:
            self.fail_orders -= 1
            return 500, _error("SERVER_ERROR", "We are facing some trouble completing your request")
        order = {
            "id": _id("order"),
            "entity": "order",
            "amount": body["amount"],
            "amount_paid": 0,
            "amount_due": body["amount"],
            "currency": body["currency"],
            "receipt": body.get("receipt"),
            "status": "created",
            "attempts": 0,
            "notes": [],
            "created_at": int(time.time()),
        }
        self.orders[order["id"]] = order
        if self.slow_orders:
            self.slow_orders -= 1
            time.sleep(self.delay)
        return 200, order

    def _refund(self, payment_id: str, body: dict[str, Any]):
        payment = self.payments.get(payment_id)
        if payment is None:
            return 400, _error("BAD_REQUEST_ERROR", "The id provided does not exist")
        refund = {
            "id": _id("rfnd"),
            "entity": "refund",
            "amount": body.get("amount", payment["amount"]),
            "currency": payment["currency"],
            "payment_id": payment_id,
            "receipt": body.get("receipt"),
            "status": self.refund_status,
            "speed_processed": "normal",
            "created_at": int(time.time()),
        }
        self.refunds[refund["id"]] = refund
        payment["amount_refunded"] += refund["amount"]
        return 200, refund

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, method: str) -> None:
                url = urlparse(self.path)
                expected = base64.b64encode(
                    f"{standin.key_id}:{standin.key_secret}".encode()
                ).decode()
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                if self.headers.get("Authorization") != f"Basic {expected}":
                    status, body = 401, _error("BAD_REQUEST_ERROR", "Authentication failed")
                else:
                    with standin.lock:
                        standin.requests.append((method, url.path))
                    status, body = standin._route(
                        method, url.path, parse_qs(url.query), json.loads(raw) if raw else {}
                    )
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (a timeout test)

            def do_GET(self) -> None:
                self._answer("GET")

            def do_POST(self) -> None:
                self._answer("POST")

        return Handler
