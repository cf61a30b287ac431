"""Database constraints that only PostgreSQL can enforce.

The embedded SQLite default skips them (it serves one process, where the services'
row locks already hold); PostgreSQL, the production and test database, enforces them.
"""

from typing import Any

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeBoundary, RangeOperators
from django.db.models import Func


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class PostgresExclusionConstraint(ExclusionConstraint):
    def _on_postgres(self, schema_editor: Any) -> bool:
        return schema_editor.connection.vendor == "postgresql"

    def constraint_sql(self, model: Any, schema_editor: Any) -> Any:
        return (
            super().constraint_sql(model, schema_editor)
            if self._on_postgres(schema_editor)
            else None
        )

    def create_sql(self, model: Any, schema_editor: Any) -> Any:
        return (
            super().create_sql(model, schema_editor) if self._on_postgres(schema_editor) else None
        )

    def remove_sql(self, model: Any, schema_editor: Any) -> Any:
        return (
            super().remove_sql(model, schema_editor) if self._on_postgres(schema_editor) else None
        )

    def validate(
        self, model: Any, instance: Any, exclude: Any = None, using: Any = "default"
    ) -> None:
        from django.db import connections

        if connections[using].vendor == "postgresql":
            super().validate(model, instance, exclude=exclude, using=using)


def non_overlapping_ranges(
    *, name: str, start: str, end: str, per: str
) -> PostgresExclusionConstraint:
    """No two rows with the same `per` value may have overlapping [start, end) ranges."""
    return PostgresExclusionConstraint(
        name=name,
        expressions=[
            (TsTzRange(start, end, RangeBoundary()), RangeOperators.OVERLAPS),
            (per, RangeOperators.EQUAL),
        ],
    )
