"""``xiangzhi genkeys``: print fresh production secrets as environment variable lines."""

from __future__ import annotations

import base64
import secrets

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "生成生产环境所需的密钥（SECRET_KEY、个人信息加密密钥、盲索引密钥、Ed25519 签名密钥）。"
    requires_system_checks: list = []

    def handle(self, *args, **options) -> None:  # noqa: ANN002, ANN003
        seed = Ed25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        self.stdout.write(f"SECRET_KEY={secrets.token_urlsafe(50)}")
        self.stdout.write(f"XIANGZHI_ENCRYPTION_KEYS=k{secrets.token_hex(2)}:{base64.b64encode(secrets.token_bytes(32)).decode()}")
        self.stdout.write(f"XIANGZHI_BLIND_INDEX_KEY={base64.b64encode(secrets.token_bytes(32)).decode()}")
        self.stdout.write(f"XIANGZHI_SIGNING_KEY={base64.b64encode(seed).decode()}")
