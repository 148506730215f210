import hashlib
import random
import zlib

import pytest

from shopkit import checksum


@pytest.mark.parametrize("data", [b"", b"abc", b"Wikipedia", b"\x00" * 100, bytes(range(256))])
def test_adler32_matches_zlib(data):
    assert checksum.adler32(data) == zlib.adler32(data)


def test_adler32_known_value():
    assert checksum.adler32(b"Wikipedia") == 0x11E60398


def test_sha256_hex():
    assert checksum.sha256_hex(b"abc").startswith("ba7816bf")


@pytest.mark.parametrize(("size", "chunk", "count"), [(0, 4, 0), (10, 4, 3), (8, 4, 2)])
def test_chunked_digest_count(size, chunk, count):
    assert len(checksum.chunked_digest(b"x" * size, chunk)) == count


def test_chunked_digest_needs_a_size():
    with pytest.raises(ValueError):
        checksum.chunked_digest(b"x", 0)


def test_fingerprint_is_short_and_stable():
    assert checksum.fingerprint("hello") == checksum.fingerprint("hello")
    assert len(checksum.fingerprint("hello")) == 12


@pytest.mark.parametrize("size", [1_000, 50_000, 150_000])
def test_adler32_of_random_data(size):
    data = random.Random(size).randbytes(size)
    assert checksum.adler32(data) == zlib.adler32(data)


def test_pack_round_trip():
    assert checksum.unpack(checksum.pack(b"abc" * 100)) == b"abc" * 100


@pytest.mark.parametrize("seed", range(6))
def test_chunked_digest_of_a_large_payload(seed):
    data = random.Random(seed).randbytes(48 << 20)
    digests = checksum.chunked_digest(data, 1 << 20)
    assert len(digests) == 48
    assert digests[3] == hashlib.sha256(data[3 << 20 : 4 << 20]).hexdigest()


@pytest.mark.parametrize("seed", range(6))
def test_pack_a_large_export(seed):
    words = [b"order", b"sku", b"shirt", b"mug", b"2024-03-01", b"ann", b"42.50", b","]
    rng = random.Random(seed)
    data = b" ".join(rng.choice(words) for _ in range(64)) * ((24 << 20) // 400)
    packed = checksum.pack(data, 9)
    assert len(packed) < len(data) // 10
    assert checksum.unpack(packed) == data
