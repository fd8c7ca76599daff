"""An S3-compatible object store for the tests: moto's HTTP server in this process on a free port, a fresh bucket
per test, and a store of STORAGES pointed at it with the options settings.py gives a county's (private objects
under the store's prefix, never overwritten). Import the fixtures into a test module to use them."""

from __future__ import annotations

import secrets
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ACCESS_KEY, SECRET_KEY, REGION = "xz-test-access", "xz-test-secret", "us-east-1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """The URL of a running moto S3 server (HTTP, path-style, like a county's MinIO)."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def client(endpoint: str):  # noqa: ANN201
    import boto3

    return boto3.session.Session().client("s3", endpoint_url=endpoint, aws_access_key_id=ACCESS_KEY,
                                          aws_secret_access_key=SECRET_KEY, region_name=REGION)


@dataclass
class Bucket:
    endpoint: str
    name: str

    def objects(self, prefix: str = "") -> list[str]:
        found = client(self.endpoint).list_objects_v2(Bucket=self.name, Prefix=prefix)
        return sorted(o["Key"] for o in found.get("Contents", []))

    def get(self, key: str) -> bytes:
        return client(self.endpoint).get_object(Bucket=self.name, Key=key)["Body"].read()

    def public_grants(self, key: str) -> list[dict]:
        acl = client(self.endpoint).get_object_acl(Bucket=self.name, Key=key)
        return [g for g in acl["Grants"] if g["Grantee"].get("URI", "").endswith(("/AllUsers", "/AuthenticatedUsers"))]


@pytest.fixture
def s3_bucket(s3_endpoint) -> Bucket:
    name = f"xz-{secrets.token_hex(6)}"
    client(s3_endpoint).create_bucket(Bucket=name)
    return Bucket(s3_endpoint, name)


def s3_store(prefix: str, bucket: Bucket) -> dict:
    """A STORAGES entry as settings.py makes it for ``XIANGZHI_MEDIA_STORAGE=s3``, against ``bucket``."""
    from xiangzhi import settings as s

    return {"BACKEND": s.S3_STORAGE, "OPTIONS": {**s.s3_options(prefix), "bucket_name": bucket.name,
                                                 "endpoint_url": bucket.endpoint, "access_key": ACCESS_KEY,
                                                 "secret_key": SECRET_KEY, "region_name": REGION}}


def use_s3(settings, bucket: Bucket, *aliases: str) -> None:  # noqa: ANN001
    """Point the stores ``aliases`` (outreach, villages) at ``bucket``, each under its own prefix."""
    from django.core.files.storage import storages

    settings.STORAGES = {**settings.STORAGES, **{alias: s3_store(alias, bucket) for alias in aliases}}
    for alias in aliases:
        storages._storages.pop(alias, None)


def files_holding(root: Path, data: bytes) -> list[Path]:
    """The files under ``root`` whose content is ``data`` (a copy of an upload that should be in the bucket)."""
    if not root.exists():
        return []
    return [p for p in root.rglob("*") if p.is_file() and not p.is_symlink() and p.stat().st_size == len(data)
            and p.read_bytes() == data]
