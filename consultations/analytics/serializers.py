"""Query parameters and output shape of the analytics endpoint."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from amrutam.common.contract.window import WindowSerializer, parse_bound

MAX_ANALYTICS_DAYS = 366


class AnalyticsFilterSerializer(WindowSerializer):
    DEFAULT_DAYS = 30

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        since, until = attrs["since"], attrs["until"]
        if until is None:
            until = parse_bound(dt.datetime.now(dt.UTC).date().isoformat(), end=True)
        if since is None:
            try:
                since = until - dt.timedelta(days=self.DEFAULT_DAYS)
            except OverflowError as exc:
                # An end within the first days of year 1 leaves no default window.
                raise serializers.ValidationError(
                    {"to": ["Out of the supported range of dates."]}
                ) from exc
        if since >= until:
            raise serializers.ValidationError({"from": ["Must be before `to`."]})
        if until - since > dt.timedelta(days=MAX_ANALYTICS_DAYS + 1):
            raise serializers.ValidationError(
                {"to": [f"The window may span at most {MAX_ANALYTICS_DAYS} days."]}
            )
        attrs["since"], attrs["until"] = since, until
        return attrs


class DayCountSerializer(serializers.Serializer):
    date = serializers.DateField()
    count = serializers.IntegerField()


def _rupees(paise: int) -> str:
    return str((Decimal(paise) / 100).quantize(Decimal("0.01")))


class RevenueSerializer(serializers.Serializer):
    currency = serializers.CharField()
    paid = serializers.SerializerMethodField(help_text='Decimal string, e.g. "1500.00".')
    refunded = serializers.SerializerMethodField(help_text='Decimal string, e.g. "500.00".')

    def get_paid(self, revenue: Any) -> str:
        return _rupees(revenue.paid)

    def get_refunded(self, revenue: Any) -> str:
        return _rupees(revenue.refunded)


class AnalyticsOutputSerializer(serializers.Serializer):
    totalConsultations = serializers.IntegerField(source="total")
    byStatus = serializers.DictField(child=serializers.IntegerField(), source="by_status")
    activeDoctors = serializers.IntegerField(source="active_doctors")
    bookingsPerDay = serializers.SerializerMethodField()
    cancellationRate = serializers.FloatField(source="cancellation_rate")
    noShowRate = serializers.FloatField(source="no_show_rate")
    revenue = RevenueSerializer()

    @extend_schema_field(DayCountSerializer(many=True))
    def get_bookingsPerDay(self, analytics: Any) -> list[dict[str, Any]]:
        return [
            {"date": day.isoformat(), "count": count} for day, count in analytics.bookings_per_day
        ]
