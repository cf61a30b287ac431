"""Outbox and delivery figures for /metrics, read from the database at each scrape.

Workers and beat run in other processes than the web server, so their figures are not
counted in memory: the database rows are the one place every process writes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from .selectors import outbox_figures

logger = logging.getLogger("amrutam.ops")


class OutboxCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        try:
            figures = outbox_figures()
        except Exception:  # a scrape must not fail because the database is down
            logger.warning("metrics_outbox_unavailable", exc_info=True)
            return
        yield GaugeMetricFamily(
            "amrutam_outbox_depth", "Outbox events committed but not yet dispatched.", figures.depth
        )
        yield GaugeMetricFamily(
            "amrutam_outbox_oldest_pending_seconds",
            "Age of the oldest outbox event not yet dispatched (0 when none).",
            figures.oldest_pending_seconds,
        )
        deliveries = GaugeMetricFamily(
            "amrutam_webhook_deliveries", "Webhook deliveries by status.", labels=["status"]
        )
        for status, count in figures.deliveries.items():
            deliveries.add_metric([status], count)
        yield deliveries
        yield CounterMetricFamily(
            "amrutam_webhook_delivery_failures",
            "Webhook delivery attempts that did not get a 2xx answer.",
            figures.delivery_failures,
        )
        emails = GaugeMetricFamily("amrutam_notifications", "Emails by status.", labels=["status"])
        for status, count in figures.notifications.items():
            emails.add_metric([status], count)
        yield emails


_registry = CollectorRegistry(auto_describe=False)
_registry.register(OutboxCollector())


def outbox_metrics_text() -> bytes:
    return generate_latest(_registry)
