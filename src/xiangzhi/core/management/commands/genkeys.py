"""``xiangzhi genkeys``: fresh production secrets, printed as environment variable lines or written as key files.

``--write-dir DIR`` writes one file per secret (``secret_key``, ``encryption_keys``, ``blind_index_key``,
``signing_key``, mode 0600) for the ``*_FILE`` settings of deploy/xiangzhi.env.example; it never overwrites a key.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from django.core.management.base import BaseCommand, CommandError

# The setting each file holds (SETTING_FILE=DIR/<file name>).
KEY_FILES = {
    "SECRET_KEY": "secret_key",
    "XIANGZHI_ENCRYPTION_KEYS": "encryption_keys",
    "XIANGZHI_BLIND_INDEX_KEY": "blind_index_key",
    "XIANGZHI_SIGNING_KEY": "signing_key",
}


def new_keys() -> dict[str, str]:
    seed = Ed25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "XIANGZHI_ENCRYPTION_KEYS": f"k{secrets.token_hex(2)}:{base64.b64encode(secrets.token_bytes(32)).decode()}",
        "XIANGZHI_BLIND_INDEX_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "XIANGZHI_SIGNING_KEY": base64.b64encode(seed).decode(),
    }


class Command(BaseCommand):
    help = "生成生产环境所需的密钥（SECRET_KEY、个人信息加密密钥、盲索引密钥、Ed25519 签名密钥）。"
    requires_system_checks: list = []

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("--write-dir", metavar="DIR",
                            help="write one key file per secret into DIR (mode 0600) instead of printing them")

    def handle(self, *args, **options) -> None:  # noqa: ANN002, ANN003
        keys = new_keys()
        if not options["write_dir"]:
            for name, value in keys.items():
                self.stdout.write(f"{name}={value}")
            return
        directory = Path(options["write_dir"])
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        existing = [name for name in KEY_FILES.values() if (directory / name).exists()]
        if existing:
            raise CommandError(f"{directory} already holds {', '.join(existing)}: a key is never overwritten "
                               "(data encrypted or signed with it would be lost). Rotate keys as deploy/README.md says.")
        for name, filename in KEY_FILES.items():
            path = directory / filename
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(keys[name] + "\n")
            self.stdout.write(f"{name}_FILE={path}")
