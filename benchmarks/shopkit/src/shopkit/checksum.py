"""Checksums and digests for exported files."""

from __future__ import annotations

import hashlib
import zlib


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def adler32(data: bytes) -> int:
    a, b = 1, 0
    for byte in data:
        a = (a + byte) % 65521
        b = (b + a) % 65521
    return (b << 16) | a


def chunked_digest(data: bytes, chunk_size: int = 65536) -> list[str]:
    if chunk_size <= 0:
        raise ValueError("chunk_size must be positive")
    return [sha256_hex(data[i : i + chunk_size]) for i in range(0, len(data), chunk_size)]


def fingerprint(text: str) -> str:
    return sha256_hex(text.encode("utf-8"))[:12]


def pack(data: bytes, level: int = 6) -> bytes:
    """Compress an export for upload."""
    return zlib.compress(data, level)


def unpack(data: bytes) -> bytes:
    return zlib.decompress(data)
