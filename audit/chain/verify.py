"""Verification: walking the sealed entries in chain order to the first broken link."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count

from ..models import AuditEntry
from .hashing import GENESIS_HASH, entry_hash


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


def _mirrored_twice() -> AuditEntry | None:
    """The later of two entries mirroring the same LogEntry, if there are any."""
    # logentry_id is unique per monthly partition only (as seq), so this reads them all.
    twice = (
        AuditEntry.objects.filter(logentry_id__isnull=False)
        .values("logentry_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .values("logentry_id")
    )
    return AuditEntry.objects.filter(logentry_id__in=twice).order_by("logentry_id", "-id").first()


def verify_chain(*, chunk_size: int = 2000) -> ChainReport:
    """Walk the sealed entries in chain order; report the first broken link, if any."""
    # A server-side cursor inside a transaction streams the chain at constant memory.
    # On PostgreSQL the order by seq merges the partitions' seq indexes, month by month
    # as the chain crosses them.
    with transaction.atomic():
        entries = AuditEntry.objects.filter(seq__isnull=False).order_by("seq")
        report = _walk(entries.iterator(chunk_size=chunk_size))
        unsealed = AuditEntry.objects.filter(hash__isnull=True).count()
        twice = _mirrored_twice() if report.ok else None
    if twice is not None:
        report = ChainReport(
            checked=report.checked,
            unsealed=0,
            last_seq=report.last_seq,
            last_hash=report.last_hash,
            broken_entry_id=twice.pk,
            broken_seq=twice.seq,
            problem=f"it mirrors LogEntry {twice.logentry_id}, which another entry mirrors too",
        )
    return ChainReport(**{**report.__dict__, "unsealed": unsealed})
