"""``@idempotent`` for the API's creating POSTs (the ``Idempotency-Key`` header).

A retry with the same key from the same client (its API token, its signed-in user, or — anonymous — its address)
gets the first response again, same status and body, with ``Idempotent-Replayed: true``, instead of creating a second
record. The same key with another request is refused (422 ``IDEMPOTENCY_KEY_REUSED``). The key, the claim and the
request's own writes share one transaction: a concurrent duplicate waits on the key's unique constraint and then
replays the first result; a refused request (any non-2xx answer) leaves no key. Keys expire after
``XIANGZHI_IDEMPOTENCY_KEY_HOURS`` (services.prune_idempotency_keys, by runperiodic).

Usage, under the route decorator::

    @router.post("/", response=...)
    @idempotent
    def create_case(request, payload): ...
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from ninja.decorators import decorate_view
from ninja.utils import contribute_operation_callback

from . import services
from .api_auth import request_token
from .crypto import blind_index
from .errors import ValidationFailed

HEADER = "Idempotency-Key"
_VALID_KEY = re.compile(r"[!-~]{1,100}")  # visible ASCII, e.g. a UUID
PARAMETER = {
    "in": "header", "name": HEADER, "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 100, "pattern": "^[!-~]{1,100}$"},
    "description": "重试时携带同一个键（如 UUID），返回第一次请求的结果而不会重复创建；有效期见 XIANGZHI_IDEMPOTENCY_KEY_HOURS。",
}


def client_of(request: HttpRequest) -> str:
    """Who a key belongs to: the API token, else the signed-in user, else a keyed hash of the client address."""
    token = request_token(request)
    if token is not None:
        return f"token:{token.pk}"
    user = getattr(request, "auth", None) or getattr(request, "user", None)
    if getattr(user, "is_authenticated", False):
        return f"user:{user.pk}"
    return "anon:" + blind_index(services.current_ip.get() or "", purpose="idempotency")[:40]


def fingerprint(request: HttpRequest) -> str:
    """SHA-256 of the method, the path and the content (JSON compared by value; multipart by fields and file digests,
    so a retry with a new multipart boundary is the same request)."""
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    if request.content_type.startswith("multipart/"):
        for name, values in sorted(request.POST.lists()):
            digest.update(json.dumps([name, values], ensure_ascii=False).encode())
        for name, files in sorted(request.FILES.lists()):
            for upload in files:
                file_digest = hashlib.sha256()
                for chunk in upload.chunks():
                    file_digest.update(chunk)
                upload.seek(0)
                digest.update(json.dumps([name, upload.name, upload.size, file_digest.hexdigest()]).encode())
        return digest.hexdigest()
    body = request.body
    try:
        body = json.dumps(json.loads(body), sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    except ValueError:
        pass
    digest.update(body)
    return digest.hexdigest()


def _claiming(view_func: Callable) -> Callable:
    """Around the operation's function (after authentication): claim the key, or answer with the stored response."""

    @wraps(view_func)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        key = request.headers.get(HEADER)
        if key is None:
            return view_func(request, *args, **kwargs)
        if not _VALID_KEY.fullmatch(key):
            raise ValidationFailed("INVALID_IDEMPOTENCY_KEY", "Idempotency-Key 须为 1 至 100 个可见 ASCII 字符，建议使用 UUID。")
        row = services.claim_idempotency_key(client=client_of(request), key=key, fingerprint=fingerprint(request))
        if row.status_code is not None:
            response = HttpResponse(row.body, status=row.status_code, content_type=row.content_type)
            response["Idempotent-Replayed"] = "true"
            return response
        request._xz_idempotency = row
        return view_func(request, *args, **kwargs)

    return wrapper


def _in_one_transaction(run: Callable) -> Callable:
    """Around the whole operation: one transaction for the claim, the writes and the stored response."""

    @wraps(run)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if HEADER not in request.headers:
            return run(request, *args, **kwargs)
        with transaction.atomic():
            response = run(request, *args, **kwargs)
            row = getattr(request, "_xz_idempotency", None)
            request._xz_idempotency = None
            if row is not None and not transaction.get_rollback():
                if 200 <= response.status_code < 300 and not response.streaming:
                    services.record_idempotent_response(row, status_code=response.status_code,
                                                        content_type=response.get("Content-Type", ""),
                                                        body=response.content.decode())
                else:
                    services.release_idempotency_key(row)
        return response

    return wrapper


def _install(operation: Any) -> None:
    operation.view_func = _claiming(operation.view_func)
    extra = dict(operation.openapi_extra or {})
    extra["parameters"] = [*extra.get("parameters", []), PARAMETER]
    operation.openapi_extra = extra


def idempotent(func: Callable) -> Callable:
    """Make a creating POST answer a retried ``Idempotency-Key`` with its first response (see the module)."""
    contribute_operation_callback(func, _install)
    return decorate_view(_in_one_transaction)(func)
