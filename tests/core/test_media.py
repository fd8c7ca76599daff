"""Byte ranges of stored media (core.media): what a phone's player asks for and gets."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.test import RequestFactory
from hypothesis import given
from hypothesis import strategies as st

from xiangzhi.core.media import byte_range, stored_file_response

DATA = bytes(range(256)) * 40  # 10,240 bytes


@pytest.mark.parametrize(("header", "expected"), [
    ("", None), ("bytes=0-", (0, 10239)), ("bytes=0-99", (0, 99)), ("bytes=100-", (100, 10239)),
    ("bytes=-100", (10140, 10239)), ("bytes=-20000", (0, 10239)), ("bytes=10000-20000", (10000, 10239)),
    ("bytes=10240-", False), ("bytes=-0", False), ("bytes=5-2", None), ("bytes=0-1,5-9", None),
    ("items=0-9", None), ("bytes=-", None), ("bytes=a-b", None), (" bytes = 0 - 9 ", (0, 9)),
])
def test_byte_range_reads_the_header_as_rfc_9110_says(header, expected):
    assert byte_range(header, len(DATA)) == expected


@given(st.integers(0, 5000), st.one_of(st.none(), st.integers(0, 5000)), st.integers(0, 3000))
def test_a_satisfiable_range_always_lies_inside_the_file(first, last, size):
    header = f"bytes={first}-{'' if last is None else last}"
    got = byte_range(header, size)
    if got not in (None, False):
        start, end = got
        assert 0 <= start <= end < size
        assert start == first and (last is None or end == min(last, size - 1))
    elif got is False:
        assert first >= size


@pytest.fixture
def stored(tmp_path):
    storage = FileSystemStorage(location=tmp_path)
    return storage, storage.save("clip.mp3", ContentFile(DATA))


def _get(storage, name, method="get", **headers):
    request = getattr(RequestFactory(), method)("/m/", headers=headers)
    return stored_file_response(request, storage, name, "audio/mpeg", cache_control="private, max-age=60")


def _body(response) -> bytes:
    """The bytes sent; the file closed (a range's reader closes it at its end). Not ``response.close()``: that sends
    request_finished, whose handler closes the database connections a test may hold."""
    body = b"".join(response.streaming_content)
    if getattr(response, "file_to_stream", None) is not None:
        response.file_to_stream.close()
    return body


def test_without_a_range_the_whole_file_and_an_offer_of_ranges(stored):
    response = _get(*stored)
    assert response.status_code == 200 and response["Accept-Ranges"] == "bytes"
    assert response["Content-Length"] == str(len(DATA)) and _body(response) == DATA
    assert response["X-Content-Type-Options"] == "nosniff" and response["Content-Type"] == "audio/mpeg"


@pytest.mark.parametrize("header", ["bytes=0-", "bytes=1000-1999", "bytes=-300", "bytes=10000-"])
def test_a_range_gets_206_with_exactly_those_bytes(stored, header):
    response = _get(*stored, Range=header)
    start, end = byte_range(header, len(DATA))
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {start}-{end}/{len(DATA)}"
    assert response["Content-Length"] == str(end - start + 1)
    assert _body(response) == DATA[start:end + 1]


def test_a_range_past_the_end_gets_416_with_the_size(stored):
    response = _get(*stored, Range="bytes=99999-")
    assert response.status_code == 416 and response["Content-Range"] == f"bytes */{len(DATA)}"


def test_if_range_without_a_validator_sends_the_whole_file(stored):
    response = _get(*stored, Range="bytes=0-9", **{"If-Range": '"abc"'})
    assert response.status_code == 200 and _body(response) == DATA


def test_a_head_gets_the_headers_of_the_range_and_no_bytes(stored):
    response = _get(*stored, method="head", Range="bytes=0-9")
    assert response.status_code == 206 and response["Content-Length"] == "10" and _body(response) == b""
