"""PostgreSQL behind PgBouncer in transaction pooling mode (`DATABASE_POOLER=pgbouncer`).

In transaction pooling a client owns a server connection only for one transaction, so
nothing may rely on state that outlives it. Django's own backend is already close:
prepared statements are off (`prepare_threshold=None`) and parameters are bound on the
client. This backend removes the rest:

- the `options` startup parameter (`-c statement_timeout=… -c lock_timeout=…`), which
  PgBouncer refuses and which would otherwise only reach whichever server connection
  happened to be opened for this client. Its `-c name=value` pairs are applied instead
  with `set_config(name, value, true)` (`SET LOCAL`) as the first statement of every
  transaction, so each transaction carries its own timeouts whatever server connection
  it gets;
- server-side cursors (`QuerySet.iterator()`): a named cursor lives in the server
  session, and the next fetch may reach another one. Iterators read through a client
  cursor instead (DISABLE_SERVER_SIDE_CURSORS);
- prepared statements and server-side binding, which may not be turned back on through
  OPTIONS.

The time zone Django sets once per connection (`SET TIME ZONE`) is safe: PgBouncer
tracks TimeZone, like client_encoding, per client and sets it on the server connection
it hands over. The service's advisory locks are all transaction-scoped
(`pg_advisory_xact_lock`, `pg_try_advisory_xact_lock`) and it uses no LISTEN.

Statements run outside a transaction (autocommit reads) carry no `SET LOCAL`: they run
under the server connection's defaults, which the pooler or the database role sets (see
README, "PgBouncer"). A write that runs as one autocommit statement (the booking's)
sends the settings ahead of it in the same query string instead
(`implicit_transaction_settings`).
"""

from __future__ import annotations

import contextlib
import shlex
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS

from amrutam.common.postgresql import base


def transaction_settings(options: str) -> list[tuple[str, str]]:
    """The (name, value) pairs of a libpq `options` string made only of `-c name=value`."""
    words = shlex.split(options)
    pairs: list[tuple[str, str]] = []
    while words:
        word = words.pop(0)
        if word == "-c" and words:
            word = words.pop(0)
        elif word.startswith("-c"):
            word = word[2:]
        else:
            raise ImproperlyConfigured(
                f"DATABASE_POOLER=pgbouncer: cannot apply the connection option {word!r} "
                "per transaction (only `-c name=value` settings can be)."
            )
        name, sep, value = word.partition("=")
        if not sep or not name:
            raise ImproperlyConfigured(
                f"DATABASE_POOLER=pgbouncer: malformed connection option {word!r}."
            )
        pairs.append((name.strip(), value.strip()))
    return pairs


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, settings_dict: dict[str, Any], alias: str = DEFAULT_DB_ALIAS) -> None:
        super().__init__(settings_dict, alias)
        # Django's QuerySet.iterator() reads this key of the connection's settings.
        self.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] = True
        self._transaction_sql = ""
        self._transaction_params: list[str] = []

    def get_connection_params(self) -> dict[str, Any]:
        options = self.settings_dict["OPTIONS"]
        if options.get("server_side_binding") or options.get("prepare_threshold") is not None:
            raise ImproperlyConfigured(
                "DATABASE_POOLER=pgbouncer: prepared statements and server-side binding "
                "do not survive transaction pooling; remove them from OPTIONS."
            )
        params = super().get_connection_params()
        pairs = transaction_settings(params.pop("options", "") or "")
        self._transaction_sql = (
            "SELECT " + ", ".join("set_config(%s, %s, true)" for _ in pairs) if pairs else ""
        )
        self._transaction_params = [item for pair in pairs for item in pair]
        return params

    def implicit_transaction_settings(self) -> tuple[str, list[str]]:
        """The statement that applies the settings, for a caller that runs a statement
        outside a transaction but needs them (e.g. a lock wait bounded by lock_timeout):
        sent in one query string before it ("…; SELECT …"), both run in one implicit
        transaction, which the settings end with."""
        self.ensure_connection()
        return self._transaction_sql, list(self._transaction_params)

    def _set_autocommit(self, autocommit: bool) -> None:
        super()._set_autocommit(autocommit)  # type: ignore[misc]  # not in the stubs
        if autocommit or not self._transaction_sql:
            return
        # Turning autocommit off is how Django opens the outermost atomic block: the
        # settings become the transaction's first statement, and end with it.
        try:
            with self.wrap_database_errors:
                self.connection.execute(self._transaction_sql, self._transaction_params)
        except Exception:
            # Leave the driver as Django still believes it is (autocommit, no open
            # transaction), so the failure surfaces once, as any failed query does.
            with contextlib.suppress(Exception):
                self.connection.rollback()
                self.connection.autocommit = True
            raise
