"""Verification: walking the sealed entries in chain order to the first broken link."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

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
        if entry.seq != expected_seq:
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


def verify_chain(*, chunk_size: int = 2000) -> ChainReport:
    """Walk the sealed entries in chain order; report the first broken link, if any."""
    # A server-side cursor inside a transaction streams the chain at constant memory.
    with transaction.atomic():
        entries = AuditEntry.objects.filter(seq__isnull=False).order_by("seq")
        report = _walk(entries.iterator(chunk_size=chunk_size))
        unsealed = AuditEntry.objects.filter(hash__isnull=True).count()
    return ChainReport(**{**report.__dict__, "unsealed": unsealed})
