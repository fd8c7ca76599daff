"""Model fields for personal data encrypted at rest."""

from __future__ import annotations

from django.db import models

from . import crypto


class EncryptedTextField(models.TextField):
    """A text column stored as AES-GCM ciphertext (``v1:<kid>:…``); Python sees the plaintext.

    The associated data is ``<app_label>.<model>.<field>``, so ciphertext cannot be moved between columns. Lookups
    other than ``isnull`` make no sense on ciphertext: pair the field with a blind-index column for exact lookup.
    """

    description = "Text encrypted with AES-256-GCM"

    def contribute_to_class(self, cls, name, private_only=False):  # noqa: ANN001
        super().contribute_to_class(cls, name, private_only)
        self._context = f"{cls._meta.app_label}.{cls._meta.model_name}.{name}"

    def get_prep_value(self, value):  # noqa: ANN001
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return crypto.encrypt(str(value), context=self._context)

    def from_db_value(self, value, expression, connection):  # noqa: ANN001, ARG002
        if value in (None, ""):
            return value
        return crypto.decrypt(value, context=self._context)

    def get_lookup(self, lookup_name):  # noqa: ANN001
        if lookup_name not in {"isnull"}:
            return None
        return super().get_lookup(lookup_name)
