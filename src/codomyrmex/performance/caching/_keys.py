"""Cache keys: the fast in-process key and the stable, hashed cross-process key.

Two keys, built at different times (DESIGN.md: an L1 hit must not pay for the second one):

- The **L1 key** is what cachetools itself uses: the argument tuple (plus sorted keyword items),
  hashed natively by ``dict``. Unhashable arguments (dicts, lists) fall back to
  :func:`encoded_key`, a canonical *typed* encoding wrapped in :class:`EncodedKey`, never a
  lossy ``str()``.
- The **stable key** (:func:`stable_key`) names an entry in SQLite or Redis. It must be equal in
  every process and on every host, so it is the cache name plus a BLAKE2b digest of the same
  canonical encoding, under the cache's :func:`namespace` (its name and ``version``). It is
  built only after an L1 miss.

Both follow one ``typed`` rule, the one of :func:`functools.lru_cache`: values equal in memory
are one entry everywhere. Without ``typed``, ``f(1)``, ``f(1.0)`` and ``f(True)`` are one entry
(``1 == 1.0 == True`` and they hash alike), so the canonical encoding writes an integral float
and a bool as the int they equal. With ``typed`` the top-level argument types are added, as
they are to the L1 key. ``f(1)`` and ``f("1")`` are always two entries.

    >>> from codomyrmex.performance.caching._keys import canonical
    >>> canonical((1,), {}) != canonical(("1",), {})
    True
    >>> canonical(("a b",), {}) != canonical(("a", "b"), {})
    True
    >>> canonical((1,), {}) == canonical((1.0,), {}) == canonical((True,), {})
    True
    >>> canonical((1,), {}, True) == canonical((1.0,), {}, True)
    False
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from typing import Any

__all__ = [
    "KWMARK",
    "EncodedKey",
    "KeyEncodingError",
    "canonical",
    "encoded_key",
    "l1_key",
    "name_part",
    "namespace",
    "stable_key",
]


class _KwMark:
    """Separates positional from keyword arguments in an L1 key (like cachetools' ``_kwmark``).

    A private class: no caller can pass an argument equal to it, so ``f(1, a=2)`` and
    ``f(1, ("a", 2))`` can never share a key.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "<kwargs>"

    def __reduce__(self) -> str:
        return "KWMARK"


KWMARK: tuple[Any, ...] = (_KwMark(),)


class EncodedKey(str):
    """An L1 key made from unhashable arguments. A ``str`` subclass, so it hashes fast; equal
    only to another ``EncodedKey``, so it cannot collide with a hashable call's key: neither an
    argument tuple nor a plain string key (``CacheManager.set("([i1;])", ...)`` and
    ``set([1], ...)`` are two entries)."""

    __slots__ = ()

    # Python asks a subclass's reflected __eq__ first, so str == EncodedKey lands here too.
    def __eq__(self, other: object) -> bool:
        return type(other) is EncodedKey and str.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = str.__hash__


class KeyEncodingError(TypeError):
    """An argument has no canonical encoding (an arbitrary object without a stable identity)."""


def l1_key(args: tuple[Any, ...], kwargs: Mapping[str, Any], typed: bool) -> Any:
    """The in-process key of a call, exactly as the decorator's hit path builds it inline.

    ``typed`` adds the argument types, so ``f(1)`` and ``f(1.0)`` are separate entries (as in
    :func:`functools.lru_cache`). ``f(1)`` and ``f("1")`` are always separate.
    """
    if not kwargs:
        return args + tuple(map(type, args)) if typed else args
    items = tuple(sorted(kwargs.items()))
    key = args + KWMARK + items
    if typed:
        # The keyword types in the same (sorted) order as the items, not in call order:
        # f(a=1, b=1.0) and f(b=1.0, a=1) are one call and must be one entry.
        key = key + tuple(map(type, args)) + tuple(type(v) for _, v in items)
    return key


def encoded_key(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> EncodedKey:
    """The L1 key of a call with unhashable arguments: its canonical typed encoding."""
    return EncodedKey(canonical(args, kwargs))


def canonical(args: tuple[Any, ...], kwargs: Mapping[str, Any], typed: bool = False) -> str:
    """A canonical, injective text encoding of a call's arguments, equal for equal calls.

    Every value carries a kind tag and strings a length prefix, so ``1`` and ``"1"`` differ and
    ``("a b",)`` differs from ``("a", "b")``; numbers equal in Python (``1``, ``1.0``, ``True``)
    encode alike, as they are one key in memory. ``typed`` appends the top-level argument types
    (the L1 key's ``typed`` rule). Dict and set items are sorted by their own encoding, so
    insertion order does not matter. Raises :class:`KeyEncodingError` for objects without a
    canonical form.
    """
    if typed:
        return _typed(args, kwargs)
    if len(args) == 1 and not kwargs:
        # One int or str argument, the common call on the L2 hit path: the same text as
        # the general encoder below, without building a list (tests check they agree).
        arg = args[0]
        t = type(arg)
        if t is int:
            try:
                return f"(i{arg};)"
            except ValueError:  # over sys.get_int_max_str_digits(): the general path below
                pass
        elif t is str:
            return f"(s{len(arg)}:{arg})"
    out: list[str] = []
    _encode(args, out)
    if kwargs:
        out.append("K")
        _encode(dict(kwargs), out)
    return "".join(out)


def _typed(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> str:
    # The types in the order l1_key() adds them: positional, then keywords sorted by name.
    types = [type(a) for a in args] + [type(v) for _, v in sorted(kwargs.items())]
    names = ",".join(f"{t.__module__}.{t.__qualname__}" for t in types)
    return f"{canonical(args, kwargs)}T{len(names)}:{names}"


def name_part(name: str) -> str:
    """A cache name as it appears in shared-tier keys: ``:`` (the separator) and ``@`` (the
    version mark) escaped, so that the keys of cache ``a`` never start with another cache's
    prefix (clearing ``a`` must not delete the entries of ``a:b``) and cache ``a@2`` is not
    version 2 of cache ``a``."""
    if ":" not in name and "%" not in name and "@" not in name:
        return name
    return name.replace("%", "%25").replace(":", "%3A").replace("@", "%40")


def namespace(prefix: str, name: str, version: str | int | None = None) -> str:
    """The shared-tier namespace of cache ``name`` (``version``: of the function): every key
    of the cache starts with it plus ``:``. A new version reads none of the old entries.

        >>> namespace("codomyrmex:", "m.f"), namespace("codomyrmex:", "m.f", 2)
        ('codomyrmex:m.f', 'codomyrmex:m.f@2')
    """
    base = prefix + name_part(name)
    return base if version is None else f"{base}@{name_part(str(version))}"


def stable_key(namespace: str, encoding: str) -> str:
    """``<namespace>:<digest>``: the same in every process for the same call."""
    return f"{namespace}:{_blake2b(encoding.encode('utf-8', 'surrogatepass'))}"


def _first_blake2b(data: bytes) -> str:
    # Replaces itself on first use: hashlib is imported only by caches with a shared tier,
    # and later calls (after every L1 miss of such a cache) pay no import statement.
    global _blake2b
    from hashlib import blake2b

    def hexdigest(data: bytes) -> str:
        return blake2b(data, digest_size=16).hexdigest()

    _blake2b = hexdigest
    return hexdigest(data)


_blake2b: Callable[[bytes], str] = _first_blake2b


def _encode(value: Any, out: list[str]) -> None:
    # Exact-type fast path for the common argument types (this runs on every L1 miss of a
    # tiered cache); subclasses fall through to the isinstance chain below.
    t = type(value)
    if t is str:
        out.append(f"s{len(value)}:{value}")
        return
    if t is int:
        out.append(_int_text(value))
        return
    if t is tuple:
        out.append("(")
        for item in value:
            _encode(item, out)
        out.append(")")
        return
    # The order of checks matters: bool before int (bool is an int), enums before their mixed-in
    # base types (an IntEnum is an int), exact containers before their subclasses' fallback.
    if value is None:
        out.append("N")
    elif value is True:
        out.append("i1;")  # True == 1 (one key in memory); typed= tells them apart
    elif value is False:
        out.append("i0;")
    elif isinstance(value, enum.Enum):
        cls = type(value)
        name = f"{cls.__module__}.{cls.__qualname__}"
        out.append(f"E{len(name)}:{name}")
        _encode(value.value, out)
    elif isinstance(value, int):
        out.append(_int_text(int(value)))
    elif isinstance(value, float):
        if value.is_integer():
            out.append(_int_text(int(value)))  # 1.0 == 1: one key in memory, one here
        else:
            out.append(f"f{value.hex()};")  # hex is exact and round-trips, repr may not
    elif isinstance(value, str):
        out.append(f"s{len(value)}:{value}")
    elif isinstance(value, bytes | bytearray):
        out.append(f"b{len(value)}:{bytes(value).hex()}")
    elif isinstance(value, tuple):
        out.append("(")
        for item in value:
            _encode(item, out)
        out.append(")")
    elif isinstance(value, list):
        out.append("[")
        for item in value:
            _encode(item, out)
        out.append("]")
    elif isinstance(value, Mapping):
        items = sorted((_text(k), _text(v)) for k, v in value.items())
        out.append("{")
        for k, v in items:
            out.append(k)
            out.append(v)
        out.append("}")
    elif isinstance(value, set | frozenset):
        out.append("<" if isinstance(value, set) else "Z<")
        out.extend(sorted(_text(item) for item in value))
        out.append(">")
    elif hasattr(type(value), "__dataclass_fields__") and not isinstance(value, type):
        # what dataclasses.is_dataclass checks; importing dataclasses up front costs ~5 ms and a
        # dataclass instance can only exist once the caller has imported it anyway
        import dataclasses

        dcls = type(value)
        name = f"{dcls.__module__}.{dcls.__qualname__}"
        out.append(f"D{len(name)}:{name}")
        _encode({f.name: getattr(value, f.name) for f in dataclasses.fields(value)}, out)
    else:
        raise KeyEncodingError(
            f"cannot build a canonical cache key from {type(value).__qualname__} value "
            f"{value!r:.80}; accepted: None, bool, int, float, str, bytes, tuple, list, dict, "
            "set, frozenset, Enum and dataclass instances of those (or pass key=...)"
        )


def _int_text(value: int) -> str:
    try:
        return f"i{value};"
    except ValueError:
        # More digits than sys.get_int_max_str_digits() allows in decimal (4300 by default):
        # hexadecimal has no such limit. (A process with another limit may key such an int
        # differently: a miss there, never a wrong value.)
        return f"x{value:x};"


def _text(value: Any) -> str:
    out: list[str] = []
    _encode(value, out)
    return "".join(out)
