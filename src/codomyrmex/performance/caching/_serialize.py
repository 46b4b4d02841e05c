"""How values are stored in the shared tiers (SQLite, Redis): JSON by default, signed pickle opt-in.

A stored value is a *payload* (``J`` + UTF-8 JSON, or ``P`` + pickle) sealed to the entry it
belongs to. One leading byte says how:

- ``C`` + payload + 4-byte CRC-32: no signing key. The checksum covers the entry's key (which
  starts with the cache's namespace), its absolute expiry and the payload, so a flipped digit in
  stored JSON is a counted miss (``errors{op="verify"}``), never a wrong value. Only JSON-safe
  values (dict with str keys, list, str, int, float, bool, None) are written unsigned; anything
  else stays in the in-process tier only. A checksum is not a signature: it stops corruption,
  not someone who can write the store (configure a key for that).
- ``S`` + 32-byte HMAC-SHA256 + payload: a signing key is configured (``signing_key=`` or
  ``CODOMYRMEX_PERF_CACHE_SIGNING_KEY``). The MAC covers the same fields (namespace and key,
  expiry, payload), so a value copied onto another key or another cache, or re-dated, does not
  verify. With a key, pickle (``P``) is used for values JSON cannot carry. The MAC is verified
  (constant time) *before* anything is parsed, so a tampered or unsigned value is never
  unpickled.

Values from shared or persistent tiers are never unpickled unless signed (DESIGN.md).

    >>> s = Serializer()
    >>> data = s.dumps({"a": [1, 2.5, None]}, "ns:k1", None)
    >>> s.loads(data, "ns:k1", None)
    {'a': [1, 2.5, None]}
    >>> try:
    ...     s.loads(data, "ns:k2", None)    # the same bytes under another key
    ... except Corrupt as exc:
    ...     print(exc)
    checksum mismatch (corrupt value, or one copied from another entry)
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any
from zlib import crc32 as _crc32

__all__ = ["Corrupt", "DecodeError", "NotSerializable", "Serializer", "UntrustedValue", "bound"]

_CRC = struct.Struct("<I")

_MAC_LEN = 32

# json and pickle are imported on first use, hmac when a signing key is given (struct and zlib,
# tiny, load with this module): every cache builds a Serializer at decoration time (to validate
# the signing key), but only caches with a shared tier encode.


def _load_json() -> None:
    # Binds _scan and _decode on first use (replacing the two stubs below), so that json is
    # imported by the first cache that decodes and later L2 hits pay no import statement.
    global _scan, _decode
    import json
    import json.scanner

    decoder = json.JSONDecoder()
    # The C scanner that json.loads runs; typeshed wants a make_scanner as its (duck-typed)
    # context, which JSONDecoder is.
    _scan = json.scanner.make_scanner(decoder)  # type: ignore[arg-type]
    _decode = decoder.decode


def _first_scan(text: str, start: int) -> tuple[Any, int]:
    _load_json()
    return _scan(text, start)


def _first_decode(text: str) -> Any:
    _load_json()
    return _decode(text)


_scan: Callable[[str, int], tuple[Any, int]] = _first_scan
_decode: Callable[[str], Any] = _first_decode


def _json_decode(text: str, start: int) -> Any:
    """``json.loads(text[start:])``, for the text we wrote (compact, no whitespace).

    The scanner is called directly: json.loads(str) adds two whitespace regex matches and two
    Python frames around it (~0.4 us of a ~3 us L2 hit). Anything the fast path does not accept
    as one whole value (whitespace, trailing data, invalid JSON) goes through the decoder's
    ``decode``, so what is accepted and what raises is exactly json's. (Spelled out again in
    :meth:`Serializer.loads` for unsigned values, the L2 hit path.)"""
    try:
        value, end = _scan(text, start)
    except StopIteration:
        return _decode(text[start:])  # raises json.JSONDecodeError, as json.loads would
    if end != len(text):
        return _decode(text[start:])
    return value


def _same(value: Any, loaded: Any) -> bool:
    """``value == loaded`` with the same type at every level (``loaded`` is what JSON read
    back, so it holds only dict, list, str, int, float, bool and None)."""
    t = type(value)
    if t is not type(loaded):
        return False
    if t is list:
        return len(value) == len(loaded) and all(map(_same, value, loaded))
    if t is dict:
        return (
            len(value) == len(loaded)
            and all(type(k) is str for k in value)
            and all(k in loaded and _same(v, loaded[k]) for k, v in value.items())
        )
    return bool(value == loaded)


class DecodeError(ValueError):
    """A stored value is corrupt, tampered, unsigned where a signature is required, or of a
    format this configuration refuses (pickle without a key)."""


class Corrupt(DecodeError):
    """The checksum does not match: the bytes, the key or the expiry changed since it was
    written (counted as ``errors{op="verify"}``; the row is dropped)."""


class UntrustedValue(DecodeError):
    """A well-formed value this configuration may not read: signed but no key here, a MAC that
    does not match our key (tampered, copied onto another key, re-dated), or unsigned while a
    key is configured. Another process (with another configuration) may read it fine, so it is
    a miss here, never deleted (counted as ``errors{op="verify"}``)."""


class NotSerializable(TypeError):
    """The value cannot be written to a shared tier with this configuration."""


_NO_EXPIRY = b"N"
_EXPIRES = struct.Struct("<cd")


def bound(key: str, expires_at: float | None) -> bytes:
    """What a checksum or MAC covers besides the payload: the entry's key (length-prefixed, so
    no key can pose as another key plus payload bytes) and its absolute expiry (exact: the
    double as stored by SQLite and in the Redis expiry header)."""
    kb = key.encode("utf-8", "surrogatepass")
    exp = _NO_EXPIRY if expires_at is None else _EXPIRES.pack(b"E", expires_at)
    return _LEN.pack(len(kb)) + kb + exp


_LEN = struct.Struct("<I")


def _crc_head(key: str, expires_at: float | None) -> int:
    """The CRC-32 of what a checksum covers besides the value: the key, then the expiry if
    any. No length prefix (unlike :func:`bound` for the MAC): a checksum guards against
    corruption and misplaced copies, not against someone crafting a collision, and the L2 hit
    path saves the packing."""
    crc = _crc32(key.encode("utf-8", "surrogatepass"))
    return crc if expires_at is None else _crc32(_EXPIRES.pack(b"E", expires_at), crc)


#: zlib.crc32(message + crc32(message) as 4 little-endian bytes), for any message and seed.
_RESIDUE = 0x2144DF1C


#: translation tables XOR-ing every byte with HMAC's inner and outer pads (RFC 2104)
_IPAD = bytes(b ^ 0x36 for b in range(256))
_OPAD = bytes(b ^ 0x5C for b in range(256))
_SHA256_BLOCK = 64


def hmac_sha256(key: bytes) -> Callable[[bytes, bytes], bytes]:
    """HMAC-SHA256 under ``key`` of ``head + body``: byte for byte
    ``hmac.digest(key, head + body, "sha256")``, without building ``head + body``.

    The two SHA-256 states that start every HMAC under one key (key XOR ipad, key XOR opad)
    are hashed once here and copied per message. Each ``hmac.digest`` call has OpenSSL 3 look
    the algorithm up and re-key from scratch: 5.1 us per MAC on this machine against 2.0 us,
    and the L2 hit path verifies one per hit.

        >>> import hmac
        >>> hmac_sha256(b"k" * 16)(b"mess", b"age") == hmac.digest(b"k" * 16, b"message", "sha256")
        True
    """
    import hashlib

    if len(key) > _SHA256_BLOCK:  # RFC 2104: a key longer than a block is hashed first
        key = hashlib.sha256(key).digest()
    key = key.ljust(_SHA256_BLOCK, b"\0")
    inner = hashlib.sha256(key.translate(_IPAD)).copy
    outer = hashlib.sha256(key.translate(_OPAD)).copy

    def mac(head: bytes, body: bytes) -> bytes:
        h = inner()
        h.update(head)
        h.update(body)
        o = outer()
        o.update(h.digest())
        return o.digest()

    return mac


class Serializer:
    """Encode/decode values for the shared tiers; ``signing_key`` enables HMAC and pickle."""

    __slots__ = ("_key", "_mac", "_same_mac")

    def __init__(self, signing_key: bytes | str | None = None) -> None:
        if signing_key is not None and not isinstance(signing_key, bytes | str):
            raise TypeError(
                f"signing_key must be bytes or str, got {signing_key!r} ({type(signing_key).__name__})"
            )
        if isinstance(signing_key, str):
            try:
                signing_key = signing_key.encode("utf-8")
            except UnicodeEncodeError as exc:
                from ..errors import CacheError

                raise CacheError(
                    f"signing_key must be bytes or a str encodable as UTF-8, got a str with "
                    f"{signing_key[exc.start]!r} at position {exc.start} ({exc.reason})"
                ) from None
        if signing_key is not None and len(signing_key) < 16:
            from ..errors import CacheError

            raise CacheError(f"signing_key must be at least 16 bytes, got {len(signing_key)} bytes")
        self._key = signing_key
        if signing_key is not None:
            import hmac

            self._mac = hmac_sha256(signing_key)
            self._same_mac = hmac.compare_digest

    @property
    def signed(self) -> bool:
        return self._key is not None

    def encode(self, value: Any) -> bytes:
        """The payload of ``value`` (``J`` + JSON, or ``P`` + pickle with a key), not yet
        sealed to an entry: :meth:`seal` it for each tier (each has its own expiry)."""
        import json

        try:
            text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
            # JSON silently turns tuples into lists, int dict keys into strings and an IntEnum
            # or str subclass into a plain int or str (equal, but not the same value: another
            # process would read 1 where this one returned Color.RED); a value that would not
            # read back with the same types is not JSON-safe (checked on the miss path only).
            if not _same(value, json.loads(text)):
                raise ValueError("value does not round-trip through JSON")
            return b"J" + text.encode("utf-8", "surrogatepass")
        except (TypeError, ValueError, RecursionError) as exc:
            if self._key is None:
                raise NotSerializable(
                    f"{type(value).__qualname__} value is not JSON-safe; configure a signing_key "
                    "to store it as signed pickle, or keep it in memory only"
                ) from exc
            import pickle

            try:
                return b"P" + pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception as pexc:  # PicklingError, AttributeError (local objects), ...
                # Not the caller's problem: the value stays in memory only (fail open).
                raise NotSerializable(
                    f"{type(value).__qualname__} value is neither JSON-safe nor picklable "
                    f"({type(pexc).__name__}: {pexc}); it is kept in memory only"
                ) from pexc

    def seal(self, payload: bytes, key: str, expires_at: float | None) -> bytes:
        """``payload`` bound to the entry ``key`` expiring at ``expires_at`` (Unix seconds,
        ``None``: never): HMAC with a key, CRC-32 without."""
        if self._key is None:
            body = b"C" + payload
            return body + _CRC.pack(_crc32(body, _crc_head(key, expires_at)))
        return b"S" + self._mac(bound(key, expires_at), payload) + payload

    def dumps(self, value: Any, key: str = "", expires_at: float | None = None) -> bytes:
        """:meth:`encode` then :meth:`seal`."""
        return self.seal(self.encode(value), key, expires_at)

    def loads(self, data: bytes, key: str = "", expires_at: float | None = None) -> Any:
        """The value of the entry ``key`` (expiring at ``expires_at``) stored as ``data``.

        Raises :class:`Corrupt` or :class:`UntrustedValue` when the seal does not verify for
        this key and expiry, :class:`DecodeError` when the payload cannot be parsed."""
        if self._key is None and data[:1] == b"C":
            # The common case first (unsigned JSON): the L2 hit path, measured against the
            # raw backend read in benchmarks/bench_cache.py. _crc_head() spelled out (a call
            # less); CRC-32 runs at memory speed.
            crc = _crc32(key.encode("utf-8", "surrogatepass"))
            if expires_at is not None:
                crc = _crc32(_EXPIRES.pack(b"E", expires_at), crc)
            # The CRC of a message followed by its own CRC is a constant: one pass, no slicing.
            if _crc32(data, crc) != _RESIDUE or len(data) < 6:
                raise Corrupt("checksum mismatch (corrupt value, or one copied from another entry)")
            if data[1] == 74:  # b"J"
                try:
                    text = data[:-4].decode("utf-8", "surrogatepass")
                    try:
                        value, end = _scan(text, 2)  # _json_decode(text, 2), one frame fewer
                    except StopIteration:
                        return _decode(text[2:])  # raises json.JSONDecodeError
                    return value if end == len(text) else _decode(text[2:])
                except (UnicodeDecodeError, ValueError, RecursionError) as exc:
                    # (RecursionError: a row nested too deep to parse; we never write one)
                    raise DecodeError(f"corrupt JSON value: {exc}") from exc
            payload = data[1:-4]
        elif not data:
            raise DecodeError("empty value")
        else:
            tag = data[:1]
            if tag == b"S":
                if self._key is None:
                    raise UntrustedValue("signed value but no signing_key is configured")
                mac, payload = data[1 : 1 + _MAC_LEN], data[1 + _MAC_LEN :]
                if not self._same_mac(mac, self._mac(bound(key, expires_at), payload)):
                    raise UntrustedValue(
                        "HMAC mismatch: the value was tampered with, copied from another entry "
                        "or re-dated, or signed with another key"
                    )
            elif tag == b"C":
                # With a key configured every value must be signed: an unsigned one was
                # written by someone without the key, so it is not trusted.
                raise UntrustedValue("unsigned value but a signing_key is configured")
            else:
                # J/P without a seal: written by a version before seals, or garbage.
                raise Corrupt(f"value without a checksum or signature (format {tag!r})")
        kind = payload[:1]
        if kind == b"J":
            try:
                return _json_decode(payload.decode("utf-8", "surrogatepass"), 1)
            except (UnicodeDecodeError, ValueError, RecursionError) as exc:
                raise DecodeError(f"corrupt JSON value: {exc}") from exc
        if kind == b"P" and self._key is not None:
            # Only reached after the MAC check above: the bytes were written with our key.
            import pickle

            try:
                return pickle.loads(payload[1:])  # HMAC verified above
            except Exception as exc:
                raise DecodeError(f"corrupt pickle value: {exc}") from exc
        raise DecodeError(f"unknown value format {kind!r}")
