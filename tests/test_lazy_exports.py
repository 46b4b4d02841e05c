"""Every package's PEP 562 ``__getattr__``/``__dir__`` comes from one helper and behaves alike.

Checked in a fresh interpreter per package, so that no earlier test has resolved a name yet.
"""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

# the packages whose __init__.py resolves its public names through _lazy_exports
PACKAGES = [
    "codomyrmex.performance",
    "codomyrmex.performance.benchmarking",
    "codomyrmex.performance.caching",
    "codomyrmex.performance.lazy",
    "codomyrmex.performance.regression",
    "codomyrmex.performance.telemetry",
]

_PROBE = """
import importlib, sys
from codomyrmex.performance import _lazy_exports
package = importlib.import_module({name!r})
unresolved = sorted(n for n in package.__all__ if n not in vars(package))
try:
    package.no_such_name
except AttributeError as exc:
    error = str(exc)
for n in package.__all__:
    getattr(package, n)
cached = all(n in vars(package) for n in package.__all__)
expected_dir = sorted({{k for k in vars(package) if k.startswith("_")}} | set(package.__all__))
print(repr((unresolved, error, cached, dir(package) == expected_dir,
            package.__getattr__.__qualname__, package.__dir__.__qualname__)))
"""


def _probe(name: str) -> tuple[list[str], str, bool, bool, str, str]:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(name=name)],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    result: tuple[list[str], str, bool, bool, str, str] = ast.literal_eval(
        out.stdout.strip().splitlines()[-1]
    )
    return result


@pytest.mark.parametrize("name", PACKAGES)
def test_package_resolves_its_names_through_the_one_helper(name: str) -> None:
    unresolved, error, cached, dir_ok, getattr_name, dir_name = _probe(name)
    # the hooks are the shared helper's, not a copy written out again in the package
    assert (getattr_name, dir_name) == (
        "_lazy_exports.<locals>.__getattr__",
        "_lazy_exports.<locals>.__dir__",
    )
    assert unresolved != [], f"{name} resolves nothing lazily: is it still a PEP 562 package?"
    assert error == f"module {name!r} has no attribute 'no_such_name'"
    assert cached, f"{name}: a resolved name is not stored in the package's namespace"
    assert dir_ok, f"{name}: dir() is not __all__ plus the underscore names"


def test_a_dotted_table_entry_is_a_full_module_name() -> None:
    from codomyrmex.performance import _lazy_exports

    namespace: dict[str, object] = {}
    table = {
        "ConfigurationError": "codomyrmex.performance.errors",
        "nope": "codomyrmex.performance.errors",
    }
    getattr_, dir_ = _lazy_exports(
        "pkg.that.is.not.imported", namespace, table, ["ConfigurationError"]
    )
    from codomyrmex.performance.errors import ConfigurationError

    assert getattr_("ConfigurationError") is ConfigurationError
    assert namespace == {"ConfigurationError": ConfigurationError}
    assert dir_() == ["ConfigurationError"]
    with pytest.raises(
        AttributeError, match="module 'codomyrmex.performance.errors' has no attribute 'nope'"
    ):
        getattr_("nope")  # the name is in the table but not in its module: getattr's own error
    with pytest.raises(AttributeError) as info:
        getattr_("missing")
    assert str(info.value) == "module 'pkg.that.is.not.imported' has no attribute 'missing'"
