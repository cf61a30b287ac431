"""The audit trail: one append-only, hash-chained table of changes, events and PHI reads.

It is also django-auditlog's log-entry model (`AUDITLOG_LOGENTRY_MODEL`): a field change
is written once, as one row that is both auditlog's entry and a link of the chain.
"""

from __future__ import annotations

from typing import Any

from auditlog.models import AbstractLogEntry, LogEntryManager
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone


class EntryKind(models.TextChoices):
    CHANGE = "change", "Field change"  # written by django-auditlog's receivers
    EVENT = "event", "Business event"  # audit_event(): bookings, logins, verifications
    ACCESS = "access", "PHI read"  # phi_access_record(): who saw whose health data


class AuditEntryManager(LogEntryManager, models.Manager["AuditEntry"]):
    """django-auditlog's manager, finding an object's entries by `object_id` (text)."""

    def get_for_object(self, instance: models.Model) -> models.QuerySet[Any]:
        if not isinstance(instance, models.Model):
            return self.none()
        return self._entries_of(type(instance)).filter(object_id=str(instance.pk))

    def get_for_objects(self, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
        if not isinstance(queryset, models.QuerySet):
            return self.none()
        keys = [str(pk) for pk in queryset.values_list("pk", flat=True)]
        return self._entries_of(queryset.model).filter(object_id__in=keys)

    def _entries_of(self, model: type[models.Model]) -> models.QuerySet[Any]:
        content_type = ContentType.objects.get_for_model(model)
        return self.filter(content_type=content_type).order_by("-id")


class AuditEntry(AbstractLogEntry):
    """One line of the trail. Rows are only ever inserted, then sealed into the chain once.

    A field change is django-auditlog's entry itself: its receivers create this model,
    and `audit.signals` names the kind, action, actor, IP and request id before the
    insert. django-auditlog's names for columns the trail already has are aliases here
    (`object_pk` and `object_repr` of `object_id`, `cid` of `request_id`, `remote_addr`
    of `ip`); `actor_email` and `changes_text` are never stored, so an erased user's
    email cannot outlive them in an append-only row. `content_type` names the model of a
    change (empty for events and reads, whose `object_type` says what they concern).

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
    # No database constraints on the references: the trail outlives what it names, and
    # its inserts (several per booking) check nothing they would not need.
    content_type = models.ForeignKey(
        "contenttypes.ContentType",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        blank=True,
        related_name="+",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        blank=True,
        related_name="+",
    )
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
    # django-auditlog's own data, as its receivers set it (empty unless a model asks).
    serialized_data = models.JSONField(null=True, blank=True)
    additional_data = models.JSONField(null=True, blank=True)
    remote_port = models.PositiveIntegerField(null=True, blank=True)
    # The separate django-auditlog LogEntry an older change entry mirrors (entries
    # written before the two became one row); empty on every newer entry.
    logentry_id = models.BigIntegerField(null=True, blank=True)
    # `seq` and `logentry_id` are unique, but not by a table-wide constraint: on
    # PostgreSQL the table is partitioned by month of `timestamp`, and a unique
    # constraint there must include the partition key. Each partition has a unique index
    # on each of them, one sealer at a time hands out `seq`, and `verify_audit_log`
    # fails on a value found twice (audit/migrations/0003_partition_by_month.py).
    seq = models.BigIntegerField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    hash = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001

    objects = AuditEntryManager()

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

    # django-auditlog's field names for what the trail stores under its own.
    @property
    def object_pk(self) -> str:
        return self.object_id

    @object_pk.setter
    def object_pk(self, value: Any) -> None:
        self.object_id = "" if value is None else str(value)

    @property
    def object_repr(self) -> str:
        # Ids only: an object's str() (a user's email) may not outlive an erasure.
        return self.object_id

    @object_repr.setter
    def object_repr(self, value: Any) -> None:
        pass

    @property
    def cid(self) -> str:
        return self.request_id

    @cid.setter
    def cid(self, value: Any) -> None:
        if value:
            self.request_id = str(value)

    @property
    def remote_addr(self) -> str | None:
        return self.ip

    @remote_addr.setter
    def remote_addr(self, value: Any) -> None:
        if value:
            self.ip = value

    @property
    def actor_email(self) -> None:
        return None

    @actor_email.setter
    def actor_email(self, value: Any) -> None:
        pass

    @property
    def changes_text(self) -> str:
        return ""

    @changes_text.setter
    def changes_text(self, value: Any) -> None:
        pass
