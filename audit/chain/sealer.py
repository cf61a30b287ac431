"""Sealing: giving committed entries their `seq`, `prev_hash` and `hash`, one sealer at a
time, either in the committing thread or in one background thread per process (see the
package's docstring for why sealing happens after commit)."""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import os
import threading
from typing import NamedTuple, cast

import orjson
from django.conf import settings
from django.db import close_old_connections, connection, connections, transaction

from amrutam.common.process_thread import ProcessThread

from ..models import AuditEntry
from .hashing import GENESIS_HASH, HASHED_FIELDS, canonical_values, digest

logger = logging.getLogger("amrutam.audit")

SEAL_BATCH = 500
# A sealer that keeps finding new entries stops after this many batches, so no single
# request is held up under sustained load; the next commit's sealer carries on (the
# background sealer calls again itself while entries are pending).
MAX_SEAL_ROUNDS = 8
# The background sealer retries a failed round after this long even if no commit wakes
# it, so a database blip in a quiet hour does not leave entries unsealed until the next
# audited write.
SEAL_RETRY_SECONDS = 5.0
# How long the sealer waits, once woken, for more commits to seal in the same round:
# the longest an entry of a busy process stays unsealed beyond the round itself. Each
# round costs the same handful of queries however many entries it seals, so a longer
# wait means fewer rounds under load (docs/performance.md); an entry is committed
# before it waits either way.
SEAL_COALESCE_SECONDS = 0.25
# How long an exiting process waits for its sealer to seal what its commits left.
SEAL_DRAIN_SECONDS = 5.0
# Any constant works; it only has to differ from other advisory locks of the database.
SEAL_LOCK_KEY = 0x6175_6469_7443  # "auditC"


class Seal(NamedTuple):
    """An entry's place in the chain, as one sealing round computed it."""

    id: int
    timestamp: dt.datetime
    seq: int
    prev_hash: str
    hash: str


def _try_lock() -> bool:
    """Take the sealer's lock for the current transaction, without waiting."""
    if connection.vendor != "postgresql":
        # SQLite runs every write transaction alone (BEGIN IMMEDIATE), which
        # serialises sealers just as well.
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [SEAL_LOCK_KEY])
        return bool(cursor.fetchone()[0])


def _store_seals(seals: list[Seal]) -> None:
    """Write seq, prev_hash and hash of each sealed entry in one statement."""
    if connection.vendor != "postgresql":
        AuditEntry.objects.bulk_update(
            [AuditEntry(id=s.id, seq=s.seq, prev_hash=s.prev_hash, hash=s.hash) for s in seals],
            ["seq", "prev_hash", "hash"],
        )
        return
    # One JSON document as the parameter rather than values per row: the statement stays
    # small however many entries it seals, and a document costs far less to send than
    # the five arrays it replaced (each element of an array parameter is adapted alone).
    rows = [s._asdict() for s in seals]
    stamps = [s.timestamp for s in seals]
    table = AuditEntry._meta.db_table
    with connection.cursor() as cursor:
        # The table is partitioned by month of `timestamp`. Matching on (id, timestamp)
        # uses each partition's whole primary key, and the batch's time range, given as
        # constants, lets the planner leave out every partition the batch does not touch
        # (usually all but the current month) instead of probing each one for each id.
        cursor.execute(
            f'UPDATE "{table}" AS e '  # noqa: S608 - fixed table name  # nosec B608
            "SET seq = v.seq, prev_hash = v.prev_hash, hash = v.hash "
            "FROM jsonb_to_recordset(%s::jsonb) "
            'AS v(id bigint, "timestamp" timestamptz, seq bigint, prev_hash text, hash text) '
            'WHERE e.id = v.id AND e."timestamp" = v."timestamp" '
            'AND e."timestamp" BETWEEN %s AND %s',
            [orjson.dumps(rows).decode(), min(stamps), max(stamps)],
        )


def _seal_batch() -> int | None:
    """Seal up to SEAL_BATCH pending entries; None when another sealer is at work."""
    with transaction.atomic():
        if not _try_lock():
            return None
        last = (
            AuditEntry.objects.filter(seq__isnull=False)
            .order_by("-seq")
            .values_list("seq", "hash")
            .first()
        )
        # A sealed entry has both its seq and hash.
        seq, prev_hash = cast(tuple[int, str], last) if last else (0, GENESIS_HASH)
        fields = [name for name in HASHED_FIELDS if name != "seq"]
        pending = AuditEntry.objects.filter(hash__isnull=True).order_by("id").values(*fields)
        seals: list[Seal] = []
        for values in pending[:SEAL_BATCH]:
            seq += 1
            values["seq"] = seq
            sealed_hash = digest(canonical_values(values), prev_hash)
            seals.append(Seal(values["id"], values["timestamp"], seq, prev_hash, sealed_hash))
            prev_hash = sealed_hash
        if seals:
            _store_seals(seals)
        return len(seals)


def _pending_exists() -> bool:
    # The first pending id in id order, rather than EXISTS: the ordered scan of the
    # partial index on unsealed entries marks the index entries of rows sealed since as
    # dead, so the next look skips them. An unordered EXISTS was planned as a bitmap
    # scan, which marks nothing and visits every row sealed since the last VACUUM.
    pending = AuditEntry.objects.filter(hash__isnull=True).order_by("id").values_list("id")
    return pending.first() is not None


# One sealer per process at a time: other threads that commit meanwhile skip sealing
# without a database round trip, exactly as other processes skip on the advisory lock.
_local_sealer = threading.Lock()


def seal_pending() -> int:
    """Seal every committed, unsealed entry; returns how many this call sealed.

    Whoever finds a lock taken returns at once: its entries are committed, and the
    holder looks for pending entries again after releasing both locks.
    """
    sealed = 0
    for _ in range(MAX_SEAL_ROUNDS):
        if not _local_sealer.acquire(blocking=False):
            break
        try:
            count = _seal_batch()
        finally:
            _local_sealer.release()
        if count is None:
            break
        sealed += count
        if not _pending_exists():
            break
    return sealed


class _BackgroundSealer:
    """One daemon thread per process that seals whenever a commit wakes it."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._wake = threading.Event()
        self._thread = ProcessThread("audit-sealer", self._run)

    def wake(self) -> None:
        self._thread.ensure_started()
        self._wake.set()

    def stop(self, timeout: float = SEAL_DRAIN_SECONDS) -> None:
        """Let the thread seal what is pending, close its connection and end.

        Runs at exit, and after each test of the thread, whose database cannot be
        emptied or dropped while the thread holds a session on it. A later commit
        starts a new thread; one racing stop() is sealed by the commit after it.
        """
        self._thread.stop(timeout, wake=self._wake.set)

    def _running(self) -> bool:
        return self._thread.running()

    def _run(self, stop: threading.Event) -> None:
        retry: float | None = None
        while True:
            self._wake.wait(retry)
            # Let the commits of the next few milliseconds join this round: under load
            # one round then seals dozens of writes instead of one or two.
            stop.wait(SEAL_COALESCE_SECONDS)
            # Cleared before sealing: a commit during the seal wakes the next round.
            self._wake.clear()
            retry = None
            try:
                # As around a request: drop a connection that failed or outlived
                # CONN_MAX_AGE, and have the first query health-check the one kept.
                close_old_connections()
                # seal_pending stops when nothing is left, or when another process is
                # sealing (which looks again after it); only its cap calls for more.
                while seal_pending() >= SEAL_BATCH * MAX_SEAL_ROUNDS:
                    pass
                close_old_connections()
            except Exception:  # the entries stay pending and are sealed by a later round
                logger.exception("audit_seal_failed")
                retry = SEAL_RETRY_SECONDS
            if stop.is_set():
                connections.close_all()
                return


_background = _BackgroundSealer()
# Daemon threads are killed at exit, after atexit's callbacks have run.
atexit.register(_background.stop)


def _reset_after_fork() -> None:
    # A fork copies every lock in whatever state another thread held it, but none of
    # the threads: a lock held by the parent's sealer would stop the child sealing.
    global _local_sealer
    _local_sealer = threading.Lock()
    _background._reset()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


def _seal_after_commit() -> None:
    # The writer's transaction has committed: nothing here may fail it, not even a
    # thread that cannot start.
    try:
        if settings.AUDIT_SEAL_IN_BACKGROUND:
            _background.wake()
        else:
            seal_pending()
    except Exception:
        logger.exception("audit_seal_failed")


def schedule_seal() -> None:
    """Seal once the current transaction commits (at once outside a transaction)."""
    pending_callbacks = getattr(connection, "run_on_commit", None) or []
    if any(callback is _seal_after_commit for _, callback, *_ in pending_callbacks):
        return  # one sealing per transaction is enough
    transaction.on_commit(_seal_after_commit)
