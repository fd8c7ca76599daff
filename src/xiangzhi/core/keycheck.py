"""``xiangzhi check_keys``: does every encrypted value in the database decrypt with the configured keys, and does
every stored blind index match the blind-index key?

Reads the raw columns of every :class:`~xiangzhi.core.fields.EncryptedTextField` (the ORM would decrypt them and
stop at the first failure), page by page in primary-key order, and decrypts each value under its column's context.
Then recomputes the exact-lookup indexes of core's people and accounts (身份证号, phone) from the decrypted values: a
wrong ``XIANGZHI_BLIND_INDEX_KEY`` decrypts everything but finds nobody by 身份证号 or phone.
Run after a restore, after a key rotation, or before removing an old key from ``XIANGZHI_ENCRYPTION_KEYS``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.apps import apps
from django.db import connection

from . import crypto
from .fields import EncryptedTextField
from .models import Person, User

# (model, encrypted field, index column, purpose) of the blind indexes core keeps (see services.create_person and
# services.citizen_account / create_staff_user).
BLIND_INDEXES = [
    (Person, "id_number", "id_number_index", "person.id"),
    (Person, "phone", "phone_index", "person.phone"),
    (User, "phone", "phone_index", "user.phone"),
]


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


def _pages(model: type, columns: list[str], batch: int):  # noqa: ANN202
    """Raw rows (pk, *columns) of ``model`` in primary-key order, a page at a time."""
    qn = connection.ops.quote_name
    pk = model._meta.pk.column
    cols = ", ".join(qn(c) for c in columns)
    table = qn(model._meta.db_table)
    last = None
    while True:
        where, params = ("", []) if last is None else (f" WHERE {qn(pk)} > %s", [last])
        sql = f"SELECT {qn(pk)}, {cols} FROM {table}{where} ORDER BY {qn(pk)} LIMIT {int(batch)}"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if not rows:
            return
        last = rows[-1][0]
        yield rows


def check_blind_indexes(*, batch: int = 2000) -> list[FieldReport]:
    """One report per blind-index column: stored indexes recomputed from the decrypted values (values that do not
    decrypt are left to :func:`check_encrypted_values`)."""
    reports = []
    for model, field_name, index_name, purpose in BLIND_INDEXES:
        f = model._meta.get_field(field_name)
        report = FieldReport(f"{model._meta.label_lower}.{index_name}")
        for rows in _pages(model, [f.column, model._meta.get_field(index_name).column], batch):
            for row_pk, value, index in rows:
                if not value or not index:
                    continue
                try:
                    plain = crypto.decrypt(value, context=f._context)
                except crypto.DecryptionError:
                    continue
                report.values += 1
                if crypto.blind_index(plain, purpose=purpose) != index:
                    report.failed += 1
                    if len(report.examples) < 3:
                        report.examples.append(f"pk={row_pk}: blind index does not match")
        reports.append(report)
    return reports


def check_encrypted_values(*, batch: int = 2000) -> list[FieldReport]:
    """One report per encrypted column: how many non-empty values, how many failed to decrypt, under which key ids."""
    reports = []
    for model, fields in encrypted_fields():
        these = [FieldReport(f"{model._meta.label_lower}.{f.name}") for f in fields]
        for rows in _pages(model, [f.column for f in fields], batch):
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
