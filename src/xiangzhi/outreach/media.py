"""Audio and video files told apart by their content (never by their name) and their duration read from the
container, in pure Python: MP3, AAC (ADTS), M4A/MP4, Ogg (Opus, Vorbis), WebM and WAV — what Android's browser
plays. :func:`probe` returns None for anything else (an .exe named .mp3 included); :func:`probe_image` does the
same for the pictures of a comic (PNG, JPEG, WebP, GIF)."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from .enums import MediaKind


@dataclass(frozen=True)
class Media:
    ext: str
    content_type: str
    kind: str
    duration: float | None  # seconds; None when the container does not say


def probe(data: bytes) -> Media | None:
    """What ``data`` is, by its first bytes, with its duration; None when it is no audio or video we play."""
    if len(data) < 12:
        return None
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return Media("wav", "audio/wav", MediaKind.AUDIO, _wav_duration(data))
    if data[:4] == b"OggS":
        return Media("ogg", "audio/ogg", MediaKind.AUDIO, _ogg_duration(data))
    if data[4:8] == b"ftyp":
        audio = data[8:12] in (b"M4A ", b"M4B ")
        return Media("m4a" if audio else "mp4", "audio/mp4" if audio else "video/mp4",
                     MediaKind.AUDIO if audio else MediaKind.VIDEO, _mp4_duration(data))
    if data[:4] == b"\x1a\x45\xdf\xa3" and b"webm" in data[:64]:
        return Media("webm", "video/webm", MediaKind.VIDEO, _webm_duration(data))
    if data[:3] == b"ID3" or _mp3_header(data, 0) is not None:
        duration = _mp3_duration(data)
        return Media("mp3", "audio/mpeg", MediaKind.AUDIO, duration) if duration else None
    if _adts_header(data, 0) is not None:
        duration = _adts_duration(data)
        return Media("aac", "audio/aac", MediaKind.AUDIO, duration) if duration else None
    return None


def probe_image(data: bytes) -> Media | None:
    """What picture ``data`` is, by its first bytes (never its name); None for anything else."""
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return Media("png", "image/png", "image", None)
    if data[:3] == b"\xff\xd8\xff":
        return Media("jpg", "image/jpeg", "image", None)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return Media("webp", "image/webp", "image", None)
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return Media("gif", "image/gif", "image", None)
    return None


def _wav_duration(data: bytes) -> float | None:
    pos, byte_rate = 12, 0
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        if cid == b"fmt " and size >= 16:
            byte_rate = struct.unpack_from("<I", data, pos + 16)[0]
        elif cid == b"data":
            return min(size, len(data) - pos - 8) / byte_rate if byte_rate else None
        pos += 8 + size + (size & 1)
    return None


def _ogg_duration(data: bytes) -> float | None:
    head = data[:512]
    if b"OpusHead" in head:
        rate = 48000
    elif b"\x01vorbis" in head:
        i = head.index(b"\x01vorbis")
        rate = struct.unpack_from("<I", head, i + 12)[0]
    else:
        return None
    last = data.rfind(b"OggS")
    if last < 0 or last + 14 > len(data) or not rate:
        return None
    granule = struct.unpack_from("<q", data, last + 6)[0]
    return granule / rate if granule > 0 else None


def _mp4_boxes(data: bytes, start: int, end: int):  # noqa: ANN202
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1 and pos + 16 <= end:
            size, header = struct.unpack_from(">Q", data, pos + 8)[0], 16
        elif size == 0:
            size = end - pos
        if size < header:
            return
        yield kind, pos + header, min(pos + size, end)
        pos += size


def _mp4_duration(data: bytes) -> float | None:
    for kind, body, end in _mp4_boxes(data, 0, len(data)):
        if kind != b"moov":
            continue
        for inner, ibody, _iend in _mp4_boxes(data, body, end):
            if inner == b"mvhd":
                if data[ibody] == 1:
                    scale, duration = struct.unpack_from(">IQ", data, ibody + 20)
                else:
                    scale, duration = struct.unpack_from(">II", data, ibody + 12)
                return duration / scale if scale else None
    return None


def _ebml_float(data: bytes, element: bytes) -> float | None:
    i = data.find(element)
    if i < 0:
        return None
    size_byte = data[i + len(element)]
    if size_byte == 0x88:
        return struct.unpack_from(">d", data, i + len(element) + 1)[0]
    if size_byte == 0x84:
        return struct.unpack_from(">f", data, i + len(element) + 1)[0]
    return None


def _webm_duration(data: bytes) -> float | None:
    duration = _ebml_float(data[:65536], b"\x44\x89")
    if duration is None:
        return None
    scale = 1_000_000
    i = data.find(b"\x2a\xd7\xb1", 0, 65536)
    if i >= 0 and data[i + 3] & 0x80:
        n = data[i + 3] & 0x7F
        scale = int.from_bytes(data[i + 4:i + 4 + n], "big") or scale
    return duration * scale / 1e9


_MP3_BITRATES = {1: [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
                 2: [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160]}
_MP3_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def _mp3_header(data: bytes, pos: int) -> tuple[int, int, int] | None:
    """(frame length, samples) of an MPEG audio layer III frame at ``pos``, or None."""
    if pos + 4 > len(data) or data[pos] != 0xFF or data[pos + 1] & 0xE0 != 0xE0:
        return None
    version, layer = (data[pos + 1] >> 3) & 3, (data[pos + 1] >> 1) & 3
    bitrate_i, rate_i, pad = data[pos + 2] >> 4, (data[pos + 2] >> 2) & 3, (data[pos + 2] >> 1) & 1
    if version == 1 or layer != 1 or bitrate_i in (0, 15) or rate_i == 3:
        return None
    bitrate = _MP3_BITRATES[1 if version == 3 else 2][bitrate_i] * 1000
    rate = _MP3_RATES[version][rate_i]
    length = (144 if version == 3 else 72) * bitrate // rate + pad
    return length, (1152 if version == 3 else 576), rate


def _mp3_duration(data: bytes) -> float | None:
    pos = 0
    if data[:3] == b"ID3" and len(data) >= 10:
        pos = 10 + ((data[6] & 0x7F) << 21 | (data[7] & 0x7F) << 14 | (data[8] & 0x7F) << 7 | (data[9] & 0x7F))
    seconds, frames = 0.0, 0
    while (h := _mp3_header(data, pos)) is not None:
        length, samples, rate = h
        seconds += samples / rate
        frames += 1
        pos += length
    return seconds if frames >= 2 else None


_ADTS_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350)


def _adts_header(data: bytes, pos: int) -> tuple[int, int] | None:
    if pos + 7 > len(data) or data[pos] != 0xFF or data[pos + 1] & 0xF6 != 0xF0:
        return None
    rate_i = (data[pos + 2] >> 2) & 0xF
    length = ((data[pos + 3] & 3) << 11) | (data[pos + 4] << 3) | (data[pos + 5] >> 5)
    if rate_i >= len(_ADTS_RATES) or length < 7:
        return None
    return length, _ADTS_RATES[rate_i]


def _adts_duration(data: bytes) -> float | None:
    pos, seconds, frames = 0, 0.0, 0
    while (h := _adts_header(data, pos)) is not None:
        seconds += 1024 / h[1]
        frames += 1
        pos += h[0]
    return seconds if frames >= 2 else None


def wav_tone(seconds: float = 3.0, *, rate: int = 16000, freq: float = 440.0) -> bytes:
    """A short mono 16-bit PCM WAV (a tone with a gentle fade), for the demo's spoken-answer placeholder and tests."""
    import math

    n = int(seconds * rate)
    frames = bytearray()
    for i in range(n):
        fade = min(1.0, i / (0.05 * rate), (n - i) / (0.05 * rate))
        frames += struct.pack("<h", int(8000 * fade * math.sin(2 * math.pi * freq * i / rate)))
    header = struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + len(frames), b"WAVE", b"fmt ", 16, 1, 1, rate,
                         rate * 2, 2, 16, b"data", len(frames))
    return header + bytes(frames)


def png_panel(width: int = 320, height: int = 200, rgb: tuple[int, int, int] = (250, 236, 200)) -> bytes:
    """A plain one-colour PNG (a comic panel placeholder for the demo and tests)."""
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
