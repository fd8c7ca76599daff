"""``xiangzhi check_keys``: does every encrypted value in the database decrypt with the configured keys?

Reads the raw columns of every :class:`~xiangzhi.core.fields.EncryptedTextField` (the ORM would decrypt them and
stop at the first failure), page by page in primary-key order, and decrypts each value under its column's context.
Run after a restore, after a key rotation, or before removing an old key from ``XIANGZHI_ENCRYPTION_KEYS``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.apps import apps
from django.db import connection

from . import crypto
from .fields import EncryptedTextField


@dataclass
class FieldReport:
    label: str  # app_label.model.field
    values: int = 0
    failed: int = 0
    key_ids: Counter = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)  # "pk=…: why" of the first failures

    @property
    def ok(self) -> bool:
        return self.failed == 0


def encrypted_fields() -> list[tuple[type, list[EncryptedTextField]]]:
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        fields = [f for f in model._meta.local_concrete_fields if isinstance(f, EncryptedTextField)]
        if fields:
            found.append((model, fields))
    return found


def check_encrypted_values(*, batch: int = 2000) -> list[FieldReport]:
    """One report per encrypted column: how many non-empty values, how many failed to decrypt, under which key ids."""
    reports = []
    qn = connection.ops.quote_name
    for model, fields in encrypted_fields():
        these = [FieldReport(f"{model._meta.label_lower}.{f.name}") for f in fields]
        pk = model._meta.pk.column
        cols = ", ".join(qn(f.column) for f in fields)
        table = qn(model._meta.db_table)
        last = None
        while True:
            where, params = ("", []) if last is None else (f" WHERE {qn(pk)} > %s", [last])
            sql = f"SELECT {qn(pk)}, {cols} FROM {table}{where} ORDER BY {qn(pk)} LIMIT {int(batch)}"  # noqa: S608
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                rows = cursor.fetchall()
            if not rows:
                break
            last = rows[-1][0]
            for row_pk, *values in rows:
                for f, report, value in zip(fields, these, values, strict=True):
                    if value in (None, ""):
                        continue
                    report.values += 1
                    report.key_ids[crypto.key_id_of(value) or "?"] += 1
                    try:
                        crypto.decrypt(value, context=f._context)
                    except crypto.DecryptionError as exc:
                        report.failed += 1
                        if len(report.examples) < 3:
                            report.examples.append(f"pk={row_pk}: {exc}")
        reports.extend(these)
    return reports
