"""``lazy_import(name, require="numpy>=1.26")``: is the installed distribution recent enough?

The requirement is PEP 508 without markers or URLs: a distribution name, optional
``[extras]`` (ignored, as ``lazy_loader`` ignores them) and comma-separated PEP 440 clauses
(``==``, ``!=``, ``>=``, ``<=``, ``>``, ``<``, ``~=``, ``===``, ``==1.2.*``). Versions are
compared as PEP 440 orders them (epoch, release, pre, post, dev; local labels ignored), with
pre-releases allowed, as ``lazy_loader`` passes ``prereleases=True``. Parsed here rather than
with ``packaging``, which is not a dependency of this library; a requirement or an installed
version outside this grammar is refused with a clear error, never guessed.

    >>> satisfies("1.26.4", ">=1.26,<3")
    True
    >>> satisfies("2.0.0rc1", "<2.0")
    False
"""

from __future__ import annotations

import re

from ..errors import LazyDeclarationError

__all__ = ["parse_requirement", "satisfies", "unmet_requirement", "version_key"]

_NAME = re.compile(r"^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(\[[^\]]*\])?\s*(.*?)\s*$")
_CLAUSE = re.compile(r"^\s*(~=|===|==|!=|<=|>=|<|>)\s*([A-Za-z0-9.*+!_-]+)\s*$")
_VERSION = re.compile(
    r"^v?(?:(\d+)!)?(\d+(?:\.\d+)*)"
    r"(?:[-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?(\d*))?"
    r"(?:-(\d+)|[-_.]?(post|rev|r)[-_.]?(\d*))?"
    r"(?:[-_.]?(dev)[-_.]?(\d*))?"
    r"(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?$",
    re.IGNORECASE,
)
_PRE = {"a": 0, "alpha": 0, "b": 1, "beta": 1, "c": 2, "rc": 2, "pre": 2, "preview": 2}
_INF = float("inf")

Key = tuple[int, tuple[int, ...], tuple[float, float], float, float]


def version_key(version: str) -> Key:
    """A sort key ordering PEP 440 versions as ``packaging`` does (local labels ignored)."""
    m = _VERSION.match(version.strip())
    if m is None:
        raise LazyDeclarationError(f"{version!r} is not a PEP 440 version like '1.26.4' or '2.0rc1'")
    epoch, release, pre_l, pre_n, post_implicit, post_l, post_n, dev_l, dev_n = m.groups()
    parts = [int(p) for p in release.split(".")]
    while len(parts) > 1 and parts[-1] == 0:  # 1.0 == 1.0.0
        parts.pop()
    post: float = int(post_implicit) if post_implicit else (int(post_n or 0) if post_l else -_INF)
    dev: float = int(dev_n or 0) if dev_l else _INF
    if pre_l:
        pre: tuple[float, float] = (_PRE[pre_l.lower()], int(pre_n or 0))
    elif dev_l and not post_l and not post_implicit:
        pre = (-_INF, -_INF)  # 1.0.dev0 comes before 1.0a0
    else:
        pre = (_INF, _INF)
    return (int(epoch or 0), tuple(parts), pre, post, dev)


def parse_requirement(require: str) -> tuple[str, list[tuple[str, str]]]:
    """``(distribution, [(operator, version), ...])`` of a requirement string."""
    m = _NAME.match(require)
    if m is None or ";" in require or "@" in require:
        raise LazyDeclarationError(
            f"require must be a distribution name with version clauses like 'numpy>=1.26,<3', "
            f"got {require!r} (markers and URLs are not supported)"
        )
    name, _extras, rest = m.groups()
    clauses: list[tuple[str, str]] = []
    for raw in rest.split(",") if rest.strip() else []:
        c = _CLAUSE.match(raw)
        if c is None:
            raise LazyDeclarationError(f"require {require!r}: {raw.strip()!r} is not a clause like '>=1.26'")
        op, version = c.groups()
        if op != "===":
            version_key(version.removesuffix(".*"))  # refuse a bad version now, not at compare
        if version.endswith(".*") and op not in ("==", "!="):
            raise LazyDeclarationError(f"require {require!r}: '.*' only goes with == and !=")
        clauses.append((op, version))
    return name, clauses


def _prefix_match(installed: str, pattern: str) -> bool:
    """``installed`` matches ``pattern.*`` (release numbers compared as written: 2.0.* is not 2.1)."""
    m = _VERSION.match(pattern.strip())
    if m is None:
        raise LazyDeclarationError(f"{pattern!r} is not a PEP 440 version prefix like '1.26'")
    want = tuple(int(p) for p in m.group(2).split("."))
    have = version_key(installed)
    release = [*have[1], *([0] * len(want))]
    return have[0] == int(m.group(1) or 0) and tuple(release[: len(want)]) == want


def _clause(installed: str, op: str, version: str) -> bool:
    if op == "===":
        return installed.strip().lower() == version.lower()
    if version.endswith(".*"):
        match = _prefix_match(installed, version[:-2])
        return match if op == "==" else not match
    have, want = version_key(installed), version_key(version)
    if op == "==":
        return have == want
    if op == "!=":
        return have != want
    if op == ">=":
        return have >= want
    if op == "<=":
        return have <= want
    if op == ">":
        # >1.7 does not admit 1.7.post1 (PEP 440), only versions past 1.7's release
        return have > want and not (have[:3] == want[:3] and want[3] == -_INF)
    if op == "<":
        # <2.0 does not admit 2.0rc1 (PEP 440), unless the bound is itself a pre-release
        pre = have[2] != (_INF, _INF) or have[4] != _INF
        want_pre = want[2] != (_INF, _INF) or want[4] != _INF
        same = (have[0], have[1], have[3]) == (want[0], want[1], want[3])  # but for pre/dev
        return have < want and not (pre and not want_pre and same)
    # ~=1.4.5 means >=1.4.5, ==1.4.*
    m = _VERSION.match(version.strip())
    release = m.group(2).split(".") if m is not None else []
    if len(release) < 2:
        raise LazyDeclarationError(f"'~={version}' needs at least two release numbers, like '~=1.4'")
    prefix = ".".join(release[:-1])
    if m is not None and m.group(1):
        prefix = f"{m.group(1)}!{prefix}"
    return have >= want and _prefix_match(installed, prefix)


def satisfies(installed: str, specifier: str) -> bool:
    """Whether version ``installed`` meets every clause of ``specifier`` (``">=1.26,<3"``)."""
    _, clauses = parse_requirement(f"x {specifier}")
    return all(_clause(installed, op, v) for op, v in clauses)


def unmet_requirement(module: str, require: str) -> str | None:
    """``None`` when the installed distribution meets ``require``, else why not.

    A distribution that is not installed raises :class:`LazyDeclarationError` (also a
    ``ValueError``, as in ``lazy_loader``): the requirement names a distribution (``pip``
    name) that cannot be checked, which is a mistake in the declaration.
    """
    name, clauses = parse_requirement(require)
    import importlib.metadata  # looked up at call time: tests may patch importlib.metadata.version

    try:
        installed = importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        raise LazyDeclarationError(
            f"found module {module!r} but cannot test requirement {require!r}: no distribution "
            f"named {name!r} is installed (requirements name the distribution, not the module)"
        ) from None
    if all(_clause(installed, op, v) for op, v in clauses):
        return None
    return f"requirement {require!r} is not met: {name} {installed} is installed"
