"""Issue 9: ``cached_function`` returns ``CachedFunction[P, R]``; mypy --strict checks calls
against the original signature and knows the cache methods (examples/typed_usage.py is checked
in CI; this test also proves that a wrong call is *rejected*)."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from codomyrmex.performance import cached_function
from codomyrmex.performance.caching import CachedFunction, CacheInfo

SOURCE = textwrap.dedent(
    """
    from codomyrmex.performance import cached_function
    from codomyrmex.performance.caching import CacheInfo

    @cached_function(ttl=60)
    def area(w: int, h: int) -> int:
        return w * h

    @cached_function
    def bare(x: str) -> str:
        return x

    class Svc:
        @cached_function(typed=True)
        def get(self, key: str) -> bytes:
            return key.encode()

    info: CacheInfo = area.cache_info()
    size: int = area(2, 3)
    text: str = bare("a")
    blob: bytes = Svc().get("k")
    Svc.get.cache_clear()
    area.invalidate(2, 3)
    params: dict[str, object] = area.cache_parameters()
    area.cache_close()
    stats = area.cache_stats().hits
    reveal_type(area)
    area("2", 3)  # line 28: the error this test expects
    """
)


@pytest.mark.slow
def test_mypy_strict_accepts_the_cache_methods_and_rejects_a_wrong_call(tmp_path: Path) -> None:
    try:
        from mypy import api
    except ImportError:  # mypy is in the dev extra, which .ci/run installs
        if os.environ.get("CI"):
            raise
        pytest.skip("mypy is not installed (pip install -e '.[dev]')")
    path = tmp_path / "use_cache.py"
    path.write_text(SOURCE)
    out, err, status = api.run(["--strict", "--no-incremental", str(path)])
    lines = [line for line in out.splitlines() if line.startswith(str(path))]
    notes = [line for line in lines if ": note: " in line]
    errors = [line for line in lines if ": error: " in line]
    assert status == 1, out + err
    assert len(notes) == 1 and "CachedFunction[[w: int, h: int], int]" in notes[0]
    assert len(errors) == 1, errors
    assert (
        f'{path}:28: error: Argument 1 to "__call__" of "CachedFunction" has incompatible type "str"; expected "int"'
        in errors[0]
    )


def test_the_wrapper_is_a_cached_function_at_run_time(unique_name: str) -> None:
    @cached_function(name=unique_name)
    def f(x: int) -> int:
        return x

    wrapper: CachedFunction[[int], int] = f
    assert wrapper(2) == 2
    assert isinstance(wrapper.cache_info(), CacheInfo)
    for method in ("cache_info", "cache_clear", "cache_parameters", "invalidate", "cache_stats",
                   "cache_close"):  # fmt: skip
        assert callable(getattr(wrapper, method)), method
