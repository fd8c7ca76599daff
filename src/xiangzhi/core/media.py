"""Stored media files sent to a browser, with byte ranges.

A phone's browser plays audio and video by asking for byte ranges (``Range: bytes=…``): without a 206 answer it
cannot seek, and some (Safari) will not play a video at all.  Django's ``FileResponse`` always sends the whole
file, so the media views of the apps answer through :func:`stored_file_response`, which reads from any Django
storage (local directory or S3-compatible bucket) by name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from django.core.files.storage import Storage
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse

CHUNK = 64 * 1024
_RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")


def byte_range(header: str, size: int) -> tuple[int, int] | None | bool:
    """The inclusive ``(first, last)`` bytes a ``Range`` header asks for in a file of ``size`` bytes.

    ``None``: no usable single range (absent, malformed, several ranges, another unit) → send the whole file, as
    RFC 9110 allows.  ``False``: a well-formed range that lies wholly past the end → 416.
    """
    match = _RANGE_RE.match(header.strip().replace(" ", "")) if header else None
    if not match:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # suffix: the last N bytes
        length = int(last)
        if length == 0:
            return False
        return (max(size - length, 0), size - 1) if size else False
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if last and int(last) < start:
        return None
    if start >= size:
        return False
    return start, end


def _read(file, start: int, length: int) -> Iterator[bytes]:
    try:
        file.seek(start)
        while length > 0:
            chunk = file.read(min(CHUNK, length))
            if not chunk:
                break
            length -= len(chunk)
            yield chunk
    finally:
        file.close()


def stored_file_response(request: HttpRequest, storage: Storage, name: str, content_type: str, *,
                         cache_control: str, disposition: str | None = None) -> HttpResponse:
    """The stored file ``name`` as a response: 206 for one satisfiable byte range, 416 for a range past the end,
    200 with the whole file otherwise (also when ``If-Range`` is sent: these responses carry no validator).
    Always ``Accept-Ranges: bytes`` and ``nosniff``; a HEAD gets the headers only."""
    size = storage.size(name)
    wanted = None if request.headers.get("If-Range") else byte_range(request.headers.get("Range", ""), size)
    if wanted is False:
        response: HttpResponse = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
    elif wanted is None:
        response = FileResponse(storage.open(name, "rb"), content_type=content_type)
        response["Content-Length"] = str(size)
    else:
        start, end = wanted
        length = end - start + 1
        body = _read(storage.open(name, "rb"), start, length) if request.method != "HEAD" else iter(())
        response = StreamingHttpResponse(body, status=206, content_type=content_type)
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = cache_control
    response["X-Content-Type-Options"] = "nosniff"
    if disposition:
        response["Content-Disposition"] = disposition
    return response
