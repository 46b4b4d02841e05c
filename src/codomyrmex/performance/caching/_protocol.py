"""The type of what :func:`cached_function` returns: :class:`CachedFunction` ``[P, R]``.

A :class:`typing.Protocol` over the decorated function's parameters (``ParamSpec``) and result,
so that ``mypy --strict`` checks both the calls and the cache methods::

    from codomyrmex.performance import cached_function

    @cached_function(ttl=60)
    def area(w: int, h: int) -> int:
        return w * h

    area(2, 3)                 # int; area("2", 3) is a type error
    area.cache_info().hits     # CacheInfo, as functools.lru_cache's

Used on a method, attribute access binds it as a function does (``__get__``): through an
instance the result is a ``CachedFunction[..., R]`` (the instance is bound, the remaining
parameters are not spelled out, as with ``functools.lru_cache`` in typeshed); through the class
it is the ``CachedFunction`` itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ParamSpec, Protocol, Self, TypeVar, overload

if TYPE_CHECKING:
    from ._decorator import CacheInfo
    from ._stats import CacheSnapshot

__all__ = ["CachedFunction"]

P = ParamSpec("P")
R_co = TypeVar("R_co", covariant=True)


class CachedFunction(Protocol[P, R_co]):
    """A cached function: call it as the original, plus the cache's methods."""

    __wrapped__: Callable[..., Any]

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R_co: ...

    def cache_info(self) -> CacheInfo:
        """Hits, misses, maxsize and current size, as ``functools.lru_cache``'s."""
        ...

    def cache_clear(self) -> None:
        """Drop every entry (in every tier) and restart ``cache_info()``'s counts."""
        ...

    def cache_parameters(self) -> dict[str, Any]:
        """Exactly ``{"maxsize": ..., "typed": ...}``, as ``functools.lru_cache``'s."""
        ...

    def invalidate(self, *args: Any, **kwargs: Any) -> bool:
        """Forget the entry of this call (in every tier); ``True`` if memory held it."""
        ...

    def cache_stats(self) -> CacheSnapshot:
        """Every counter of this cache since creation (tiers, loads, evictions, errors)."""
        ...

    def cache_close(self) -> None:
        """Close the SQLite connections and the Redis client this function opened."""
        ...

    @overload
    def __get__(self, instance: None, owner: type[Any] | None = None, /) -> Self: ...
    @overload
    def __get__(
        self, instance: object, owner: type[Any] | None = None, /
    ) -> CachedFunction[..., R_co]: ...
