"""Verification: walking the sealed entries in chain order to the first broken link."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from ..models import AuditEntry
from .hashing import GENESIS_HASH, HASHED_FIELDS, entry_hash


@dataclass(frozen=True)
class ChainReport:
    checked: int
    unsealed: int
    last_seq: int
    last_hash: str
    broken_entry_id: int | None = None
    broken_seq: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_entry_id is None and not self.problem


def _walk(entries: Iterable[AuditEntry]) -> ChainReport:
    expected_seq, prev_hash, prev_id, checked = 1, GENESIS_HASH, None, 0
    for entry in entries:
        problem = ""
        if expected_seq > 1 and entry.seq == expected_seq - 1:
            # Unique per monthly partition only: two entries of different months could
            # share a seq if a sealer ever ran without the lock.
            problem = f"its seq {entry.seq} is also that of entry {prev_id}: the chain forked"
        elif entry.seq != expected_seq:
            problem = (
                f"the sequence jumps from {expected_seq - 1} to {entry.seq}: "
                "entries before it were removed"
            )
        elif entry.prev_hash != prev_hash:
            before = f"entry {prev_id}" if prev_id is not None else "the chain's start"
            problem = f"its prev_hash does not match the hash of {before}"
        elif entry.hash != entry_hash(entry, prev_hash):
            problem = "its hash does not match its contents: the entry was altered"
        if problem:
            return ChainReport(
                checked=checked,
                unsealed=0,
                last_seq=expected_seq - 1,
                last_hash=prev_hash,
                broken_entry_id=entry.pk,
                broken_seq=entry.seq,
                problem=problem,
            )
        checked += 1
        expected_seq += 1
        prev_hash, prev_id = entry.hash or "", entry.pk
    return ChainReport(checked=checked, unsealed=0, last_seq=expected_seq - 1, last_hash=prev_hash)


def _mirrored_twice(chunk_size: int) -> tuple[int, int, int] | None:
    """(logentry_id, entry id, other entry id) of a LogEntry mirrored twice, if any."""
    # logentry_id is unique per monthly partition only (as seq). Streamed in logentry_id
    # order, which merges the partitions' unique indexes on it, so a duplicate is two
    # neighbours: constant memory and short fetches, however large the table.
    rows = (
        AuditEntry.objects.filter(logentry_id__isnull=False)
        .order_by("logentry_id")
        .values_list("logentry_id", "id")
    )
    previous_logentry, previous_entry = None, 0
    for logentry_id, entry_id in rows.iterator(chunk_size=chunk_size):
        if logentry_id is not None and logentry_id == previous_logentry:
            return logentry_id, max(entry_id, previous_entry), min(entry_id, previous_entry)
        previous_logentry, previous_entry = logentry_id, entry_id
    return None


def verify_chain(*, chunk_size: int = 2000) -> ChainReport:
    """Walk the sealed entries in chain order; report the first broken link, if any."""
    # A server-side cursor inside a transaction streams the chain at constant memory.
    # On PostgreSQL the order by seq merges the partitions' seq indexes, month by month
    # as the chain crosses them.
    with transaction.atomic():
        # Only the columns the hash covers: the walk reads no data it does not check.
        entries = (
            AuditEntry.objects.filter(seq__isnull=False)
            .order_by("seq")
            .only(*HASHED_FIELDS, "prev_hash", "hash")
        )
        report = _walk(entries.iterator(chunk_size=chunk_size))
        unsealed = AuditEntry.objects.filter(hash__isnull=True).count()
        twice = _mirrored_twice(chunk_size) if report.ok else None
        if twice is not None:
            logentry_id, entry_id, other_id = twice
            report = ChainReport(
                checked=report.checked,
                unsealed=0,
                last_seq=report.last_seq,
                last_hash=report.last_hash,
                broken_entry_id=entry_id,
                broken_seq=AuditEntry.objects.filter(pk=entry_id).values_list("seq", flat=True)[0],
                problem=f"it mirrors LogEntry {logentry_id}, as entry {other_id} does",
            )
    return ChainReport(**{**report.__dict__, "unsealed": unsealed})
