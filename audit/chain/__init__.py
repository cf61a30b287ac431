"""The SHA-256 hash chain over the audit trail: sealing new entries and verifying the chain.

Design. Writers only INSERT entries, inside their own transaction, and never wait for
the chain. After the writer commits, `seal_pending()` gives every committed, unsealed
entry the next `seq`, the previous entry's hash as `prev_hash`, and
`hash = SHA-256(canonical JSON of the entry + prev_hash)`.

Why not chain at insert time: the chain's order must match commit order, so an insert
that reads the last hash would have to hold one global lock from that insert until its
transaction commits. Every booking writes several entries, so all bookings (and every
other audited write) would queue behind each other for the rest of their transactions.
Sealing after commit keeps that lock out of the writers' transactions: one sealer at a
time (a PostgreSQL advisory lock, tried without waiting) seals everything committed so
far in one batch. The cost is a window of milliseconds between commit and seal in which
an entry is not yet covered by a hash; the database already refuses to change it, and
`verify_audit_log` seals stragglers (left by a crash) before it walks the chain.

No entry is left unsealed by a race: a writer that fails to take the lock has already
committed, and the sealer holding the lock looks for pending entries again after it
releases the lock, so it (or the next sealer) sees that entry. `seq` is unique in each
monthly partition of the table, so even a sealer that bypassed the lock could not fork
the chain within a month, and the verifier fails on a `seq` found twice anywhere.

Who seals. With AUDIT_SEAL_IN_BACKGROUND (settings; on outside the test suite) a commit
only wakes one sealer thread of its process and the request returns; the thread seals
everything pending, however many commits woke it, in as few transactions as it can. No
request waits for the chain's round trips, and under load one seal covers many writes
instead of every write paying for its own. Without it the committing thread seals
itself before it returns. Either way an entry whose sealer died (a killed worker) is
sealed by the next seal anywhere, since every seal takes all committed pending entries.

A woken thread waits SEAL_COALESCE_SECONDS for more commits before it seals, so under
load a round covers many writes. The thread starts at its process's first commit (a
thread does not survive gunicorn's fork of its workers), so each worker has its own. The
wake-up is cleared before a round starts, so a commit during a round always causes
another round. Its connection is treated as a request's: checked before and after each
round, and health-checked on first use, so a restarted PostgreSQL costs a reconnect, not
a failed round. A failed round is logged and retried after SEAL_RETRY_SECONDS, or sooner
by the next commit. A process that exits normally (a management command, a recycled
worker) first lets the thread seal what its commits left, for up to SEAL_DRAIN_SECONDS.

Modules: `hashing` (canonical form and digest), `sealer` (locks, batches, the
background thread), `verify` (the walk that `verify_audit_log` runs).
"""

from .hashing import GENESIS_HASH, HASHED_FIELDS, canonical, canonical_values, entry_hash
from .sealer import schedule_seal, seal_pending
from .verify import ChainReport, verify_chain

__all__ = [
    "GENESIS_HASH",
    "HASHED_FIELDS",
    "ChainReport",
    "canonical",
    "canonical_values",
    "entry_hash",
    "schedule_seal",
    "seal_pending",
    "verify_chain",
]
