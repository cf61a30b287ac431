"""PostgreSQL whose per-request health check is skipped for a connection that has just
served a request.

Django's CONN_HEALTH_CHECKS sends `SELECT 1` before the first query of every request
that reuses a connection: one more round trip per request, which under load checks a
connection that answered a few milliseconds earlier. Here a connection that served a
request without an error less than the alias' HEALTH_CHECK_IDLE_SECONDS ago (settings:
DB_HEALTH_CHECK_IDLE_SECONDS for the primary; 0 for the replica, whose check decides
whether reads go there) is trusted; one idle longer is checked as before.

What a restart of the database within that window costs is Django's behaviour without
health checks, for that connection only: its next request fails with the database's
error (503 `service_unavailable`), and the connection, having had an error, is checked
and replaced as that request ends. Only requests count as served: the background
threads (the audit sealer, the outbox relay) call `close_old_connections` themselves,
not through the request signals, and keep checking before every round.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.signals import request_finished
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, settings_dict: dict[str, Any], alias: str = DEFAULT_DB_ALIAS) -> None:
        super().__init__(settings_dict, alias)
        self.idle_seconds = float(settings_dict.get("HEALTH_CHECK_IDLE_SECONDS") or 0)
        # When the connection last served a request without an error.
        self.served_at: float | None = None
        # Whether the last close_if_unusable_or_obsolete found a query run since the one
        # before it (the health check then done) and no error.
        self.queried_without_error = False

    def close_if_health_check_failed(self) -> None:
        if (
            self.connection is not None
            and self.served_at is not None
            and time.monotonic() - self.served_at < self.idle_seconds
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def close_if_unusable_or_obsolete(self) -> None:
        self.queried_without_error = self._queried_without_error()
        super().close_if_unusable_or_obsolete()

    def _queried_without_error(self) -> bool:
        # A query since the last close_if_unusable_or_obsolete leaves the health check
        # done (checked, skipped, or a new connection); a working one, no error.
        return self.connection is not None and self.health_check_done and not self.errors_occurred

    def note_request_finished(self) -> None:
        """Open the window if the request that just ended was served by this connection.

        Django's close_old_connections, another receiver of the same signal, may have
        looked at the connection already (and reset what it looked at) or not yet: the
        request's state is read from whichever is current.
        """
        served = self.queried_without_error or self._queried_without_error()
        if served and self.connection is not None:
            self.served_at = time.monotonic()
        self.queried_without_error = False

    def close(self) -> None:
        self.served_at = None
        self.queried_without_error = False
        super().close()


def _note_request_finished(**kwargs: Any) -> None:
    for conn in connections.all(initialized_only=True):
        if isinstance(conn, DatabaseWrapper):
            conn.note_request_finished()


request_finished.connect(_note_request_finished, dispatch_uid="amrutam_db_served")
