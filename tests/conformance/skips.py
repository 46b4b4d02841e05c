"""The one skip table of the peer conformance suites (tests/conformance/).

``SKIPS[suite][test]`` is the reason a test of that peer's own suite is not run against this
library. ``test`` is the test's name as pytest reports it: a bare name covers every
parametrization, ``name[param]`` one of them. Every entry must match a test that exists in the
fetched suite (a stale entry fails the run), and every deliberate difference behind an entry is
documented in README.md ("Differences from the peers"). Everything not listed must pass.
"""

from __future__ import annotations

SKIPS: dict[str, dict[str, str]] = {
    "lazy_loader": {
        "test_lazy_import_subpackages": (
            "asserts isinstance(proxy, importlib.util._LazyModule), an importlib-internal class: "
            "lazy_import returns its own LazyModule (a types.ModuleType) that becomes a plain "
            "module on first use"
        ),
    },
}
