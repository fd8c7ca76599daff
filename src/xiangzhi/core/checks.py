"""Deployment checks (``xiangzhi check --deploy``): the keys are real keys, the public address is set, and SMS do not
go to the log.

Production already refuses to start without the keys; these checks refuse keys that are too short or plainly not
random (all one byte value, a short pattern repeated), and a public address (``XIANGZHI_PUBLIC_URL``, printed in
every QR code and SMS link) left at its development default.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.checks import Warning as CheckWarning
from django.core.exceptions import ImproperlyConfigured

MIN_KEY_BYTES = 32
# A random 32-byte key holds about 30 distinct byte values; fewer than this is a typed or patterned key.
MIN_DISTINCT_BYTES = 8
LOCAL_HOSTS = {"", "127.0.0.1", "localhost", "::1", "0.0.0.0"}  # noqa: S104 — names to refuse, not to bind

HINT = "用 `xiangzhi genkeys` 生成新的密钥。"


def key_problem(key: bytes) -> str | None:
    """Why ``key`` is not fit to protect personal data, or None."""
    if len(key) < MIN_KEY_BYTES:
        return f"only {len(key)} bytes (at least {MIN_KEY_BYTES})"
    if len(set(key)) < MIN_DISTINCT_BYTES:
        return f"low entropy ({len(set(key))} distinct byte values)"
    return None


def _b64(value: str) -> bytes | None:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


@register(Tags.security, deploy=True)
def check_keys(app_configs, **kwargs) -> list[Error]:  # noqa: ANN001, ANN003, ARG001
    from .crypto import parse_keyring

    errors: list[Error] = []
    try:
        ring = parse_keyring(settings.XIANGZHI_ENCRYPTION_KEYS)
    except ImproperlyConfigured as exc:
        errors.append(Error(f"XIANGZHI_ENCRYPTION_KEYS: {exc}", hint=HINT, id="xiangzhi.E001"))
    else:
        for kid, key in ring.keys.items():
            if problem := key_problem(key):
                errors.append(Error(f"XIANGZHI_ENCRYPTION_KEYS key {kid!r}: {problem}.", hint=HINT, id="xiangzhi.E001"))
    for name, ident in (("XIANGZHI_BLIND_INDEX_KEY", "xiangzhi.E002"), ("XIANGZHI_SIGNING_KEY", "xiangzhi.E003")):
        key = _b64(getattr(settings, name))
        problem = "not valid base64" if key is None else key_problem(key)
        if problem:
            errors.append(Error(f"{name}: {problem}.", hint=HINT, id=ident))
    return errors


@register(Tags.security, deploy=True)
def check_public_url(app_configs, **kwargs) -> list[Error]:  # noqa: ANN001, ANN003, ARG001
    if settings.DEBUG:
        return []
    url = urlsplit(settings.XIANGZHI_PUBLIC_URL or "")
    if url.scheme not in {"http", "https"} or (url.hostname or "") in LOCAL_HOSTS:
        return [Error(f"XIANGZHI_PUBLIC_URL is {settings.XIANGZHI_PUBLIC_URL!r}: QR codes and SMS links would point "
                      "at no reachable address.", hint="设置 XIANGZHI_PUBLIC_URL，例如 https://xz.tongxiang.gov.cn",
                      id="xiangzhi.E004")]
    return []


# Backends that reach no phone: the console ones write every message, sign-in codes included, into the log (where
# anyone who reads the journal could sign in as any villager); the in-memory one keeps them in a process.
NO_PHONE_SMS_BACKENDS = {"xiangzhi.core.sms.ConsoleBackend", "xiangzhi.core.sms.DemoConsoleBackend",
                         "xiangzhi.core.sms.LocmemBackend"}


@register(Tags.security, deploy=True)
def check_sms_backend(app_configs, **kwargs) -> list[CheckWarning]:  # noqa: ANN001, ANN003, ARG001
    if not settings.PRODUCTION or settings.XIANGZHI_SMS_BACKEND not in NO_PHONE_SMS_BACKENDS:
        return []
    return [CheckWarning(f"XIANGZHI_SMS_BACKEND is {settings.XIANGZHI_SMS_BACKEND}: no SMS reaches a phone and sign-in codes "
                    "would be written to the log.",
                    hint="设置运营商短信网关类；对接前可用 xiangzhi.core.sms.FileBackend（写入 XIANGZHI_SMS_FILE_DIR）。",
                    id="xiangzhi.W005")]


def _s3_stores() -> dict[str, object]:
    """alias → storage of every store kept in an S3-compatible bucket (django-storages' S3Storage)."""
    from django.core.files.storage import storages

    found = {}
    for alias in settings.STORAGES:
        if alias != "staticfiles" and settings.STORAGES[alias].get("BACKEND") == settings.S3_STORAGE:
            found[alias] = storages[alias]
    return found


def anonymous_listing_allowed(storage) -> bool:  # noqa: ANN001
    """Whether anyone without a key can list the store's objects (an unsigned request to the same endpoint)."""
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    client = boto3.session.Session().client(
        "s3", endpoint_url=storage.endpoint_url, region_name=storage.region_name,
        config=Config(signature_version=UNSIGNED, s3={"addressing_style": storage.addressing_style},
                      connect_timeout=5, read_timeout=10, retries={"max_attempts": 1}))
    try:
        client.list_objects_v2(Bucket=storage.bucket_name, MaxKeys=1)
    except (ClientError, BotoCoreError):
        return False
    return True


@register(Tags.security, deploy=True)
def check_media_storage(app_configs, **kwargs) -> list[Error]:  # noqa: ANN001, ANN003, ARG001
    """Every store in an S3-compatible bucket is reachable with its keys, and its bucket is not public (the files
    are answers and evidence that reach users only through the app's access checks)."""
    from botocore.exceptions import BotoCoreError, ClientError

    errors: list[Error] = []
    for alias, storage in _s3_stores().items():
        where = f"{storage.endpoint_url or 'AWS'} bucket {storage.bucket_name!r}"
        try:
            storage.connection.meta.client.head_bucket(Bucket=storage.bucket_name)
        except (ClientError, BotoCoreError) as exc:
            errors.append(Error(
                f"Media store {alias!r}: {where} cannot be reached with XIANGZHI_S3_ACCESS_KEY/SECRET_KEY: {exc}",
                hint="检查 XIANGZHI_S3_ENDPOINT_URL、XIANGZHI_S3_BUCKET（须事先建好）和访问密钥；"
                     "对象存储不可用时上传的音视频和佐证材料都无法保存。", id="xiangzhi.E006"))
            continue
        if anonymous_listing_allowed(storage):
            errors.append(Error(
                f"Media store {alias!r}: {where} lets anyone list its objects without a key (a public bucket).",
                hint="把存储桶的访问策略改为私有（MinIO：mc anonymous set none；云对象存储：读写权限设为“私有”）。"
                     "音视频解答和佐证材料只能经乡治的页面在权限检查后提供。", id="xiangzhi.E007"))
    return errors
