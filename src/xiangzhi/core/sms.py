"""Pluggable SMS backends. Production plugs in a carrier's gateway behind the same interface.

``send(phone, text)`` returns a provider message id or raises ``SmsError``. Backends never log a phone unmasked.
"""

from __future__ import annotations

import json
import sys
import threading
import uuid
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from .personal import mask_phone

# The sign-in code message (core.services.request_login_code); DemoConsoleBackend recognises it by its opening.
LOGIN_CODE_TEXT = "【乡治】您的登录验证码为{code}，{minutes}分钟内有效。请勿告诉他人。"
LOGIN_CODE_OPENING = LOGIN_CODE_TEXT.split("{", 1)[0]


class SmsError(Exception):
    pass


class BaseBackend:
    def send(self, phone: str, text: str) -> str:  # pragma: no cover - interface
        raise NotImplementedError


class ConsoleBackend(BaseBackend):
    """Prints the message to stderr (development; the demo shows one-time codes this way)."""

    def send(self, phone: str, text: str) -> str:
        message_id = uuid.uuid4().hex
        sys.stderr.write(f"[短信 → {mask_phone(phone)}] {text}\n")
        sys.stderr.flush()
        return message_id


class FileBackend(BaseBackend):
    """Appends one JSON line per message to ``XIANGZHI_SMS_FILE_DIR/outbox.jsonl`` (staging, integration tests)."""

    def send(self, phone: str, text: str) -> str:
        directory = Path(settings.XIANGZHI_SMS_FILE_DIR)
        directory.mkdir(parents=True, exist_ok=True)
        message_id = uuid.uuid4().hex
        line = json.dumps(
            {"id": message_id, "to": phone, "text": text, "at": timezone.now().isoformat()}, ensure_ascii=False
        )
        with (directory / "outbox.jsonl").open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")
        return message_id


class DemoConsoleBackend(FileBackend):
    """The demo's backend: every message goes to the file outbox like :class:`FileBackend`, and sign-in codes are
    also printed to stderr, so that the console shows the codes a visitor needs and not the hundreds of messages the
    demo data queues for its made-up villagers (``xiangzhi demo`` gives it to its worker and periodic processes)."""

    def send(self, phone: str, text: str) -> str:
        message_id = super().send(phone, text)
        if text.startswith(LOGIN_CODE_OPENING):
            sys.stderr.write(f"[短信 → {mask_phone(phone)}] {text}\n")
            sys.stderr.flush()
        return message_id


class LocmemBackend(BaseBackend):
    """Keeps messages in memory (tests read ``LocmemBackend.outbox``)."""

    outbox: list[dict[str, str]] = []
    fail_next: int = 0
    _lock = threading.Lock()

    def send(self, phone: str, text: str) -> str:
        with self._lock:
            if LocmemBackend.fail_next > 0:
                LocmemBackend.fail_next -= 1
                raise SmsError("simulated gateway failure")
            message_id = uuid.uuid4().hex
            LocmemBackend.outbox.append({"id": message_id, "to": phone, "text": text})
            return message_id


def get_backend() -> BaseBackend:
    return import_string(settings.XIANGZHI_SMS_BACKEND)()
