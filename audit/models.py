"""The audit trail: one append-only, hash-chained table of changes, events and PHI reads."""

from __future__ import annotations

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone


class EntryKind(models.TextChoices):
    CHANGE = "change", "Field change"  # mirrored from django-auditlog's LogEntry
    EVENT = "event", "Business event"  # audit_event(): bookings, logins, verifications
    ACCESS = "access", "PHI read"  # phi_access_record(): who saw whose health data


class AuditEntry(models.Model):
    """One line of the trail. Rows are only ever inserted, then sealed into the chain once.

    `seq`, `prev_hash` and `hash` are empty until the entry is sealed (see `audit.chain`);
    the database refuses every other UPDATE, and every DELETE and TRUNCATE.

    On PostgreSQL the table is range-partitioned by month of `timestamp` (one partition
    per month, made ahead by `manage.py audit_partitions`, and a default partition for
    the rest). Its primary key there is (id, timestamp), as partitioning requires; `id`
    alone stays the model's pk, unique because one identity sequence hands it out.
    Indexes are built per partition, so `AddIndexConcurrently` does not apply to it.
    """

    id = models.BigAutoField(primary_key=True)
    timestamp = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=8, choices=EntryKind.choices)
    actor_id = models.UUIDField(null=True, blank=True)
    # The user's role, or empty when no user acted (then `actor_label` says who did).
    actor_role = models.CharField(max_length=16, blank=True, default="")
    actor_label = models.CharField(max_length=100, blank=True, default="")
    action = models.CharField(max_length=100)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=255, blank=True, default="")
    # The patient whose health data was read (access entries), for their access report.
    subject_id = models.UUIDField(null=True, blank=True)
    # Field names and masked values, or event details: never a PHI value in clear.
    changes = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=128, blank=True, default="")
    # The django-auditlog LogEntry this change entry mirrors.
    logentry_id = models.BigIntegerField(null=True, blank=True)
    # `seq` and `logentry_id` are unique, but not by a table-wide constraint: on
    # PostgreSQL the table is partitioned by month of `timestamp`, and a unique
    # constraint there must include the partition key. Each partition has a unique index
    # on each of them, one sealer at a time hands out `seq`, and `verify_audit_log`
    # fails on a value found twice (audit/migrations/0003_partition_by_month.py).
    seq = models.BigIntegerField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    hash = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001

    class Meta:
        verbose_name = "audit entry"
        verbose_name_plural = "audit entries"
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["timestamp"], name="audit_entry_time_idx"),
            models.Index(fields=["action", "-id"], name="audit_entry_action_idx"),
            models.Index(fields=["actor_id", "-id"], name="audit_entry_actor_idx"),
            models.Index(fields=["object_id"], name="audit_entry_object_idx"),
            models.Index(fields=["request_id"], name="audit_entry_request_idx"),
            models.Index(
                fields=["subject_id", "-id"],
                condition=Q(subject_id__isnull=False),
                name="audit_entry_subject_idx",
            ),
            # Entries still waiting for their place in the chain: a small index that
            # the sealer reads in id order.
            models.Index(
                fields=["id"], condition=Q(hash__isnull=True), name="audit_entry_unsealed"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=EntryKind.values), name="audit_entry_kind_valid"
            ),
            # Sealed means all three chain columns are set, never a part of them.
            models.CheckConstraint(
                condition=Q(seq__isnull=True, prev_hash__isnull=True, hash__isnull=True)
                | Q(seq__isnull=False, prev_hash__isnull=False, hash__isnull=False),
                name="audit_entry_sealed_whole",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.object_type}:{self.object_id}"
