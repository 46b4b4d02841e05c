"""The whole-program recorder: installed before the program imports anything.

``python -m codomyrmex.performance.importtime`` and ``codomyrmex-perf importtime`` start the
program as ``python THIS_FILE OUTPUT KIND TARGET [ARGS...]`` (see :mod:`._run`): this file runs
as the child's ``__main__`` script, is never imported, and uses only modules the interpreter has
already loaded at start-up (``sys``, ``_thread``, ``time``, ``os``, the ``_frozen_importlib`` modules):
every module the program imports is still unimported when the hook goes in, so the profile is
complete. It hooks ``_find_and_load`` as :mod:`._recorder` does (see there why that sees every
import), runs the program as python itself would -- ``-c`` code and scripts compiled and executed
in a fresh ``__main__``, ``-m`` through ``runpy._run_module_as_main`` as ``python -m`` does (so
``runpy`` and what it imports are in the profile, as in ``python -X importtime -m``) -- and
writes the raw records to OUTPUT as the ``repr`` of plain tuples, which the launcher turns into
an :class:`~codomyrmex.performance.importtime.ImportProfile`.

No ``from __future__ import annotations`` here on purpose: that statement imports the
``__future__`` module, which would then be missing from the program's profile.
"""

import os
import sys
import time
from _thread import get_ident

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: The sys.modules key of the small object through which lazy imports open their "first use"
#: records (lazy/_load.py looks it up).
API_NAME = "_codomyrmex_perf_import_recorder"

_modules = sys.modules
_importlib: "Any" = sys.modules["_frozen_importlib"]
_perf = time.perf_counter_ns
_original: "Any" = None
_active = False
#: [name, parent record or None, thread id, thread name, trigger, site, start, end, error]
_records: "list[list[Any]]" = []
_stacks: "dict[int, list[list[Any]]]" = {}


def _thread_name() -> "str | None":
    # threading is never imported here: without it there are no named threads anyway
    threading = _modules.get("threading")
    return None if threading is None else threading.current_thread().name


def _stack() -> "list[list[Any]]":
    tid = get_ident()
    stack = _stacks.get(tid)
    if stack is None:
        stack = _stacks[tid] = []
    return stack


def _hook(name: str, import_: "Any") -> "Any":
    if not _active or name in _modules:  # nothing imported (see _recorder._hook)
        return _original(name, import_)
    stack = _stack()
    parent = stack[-1] if stack else None
    rec: list[Any]
    if parent is None:
        rec = [name, None, get_ident(), _thread_name(), "startup", None, 0, 0, None]
    elif parent[0] == name:  # a lazy load opened this record with begin(): don't repeat it
        return _original(name, import_)
    else:  # nested: part of the parent's import (and of its first use, if lazy)
        rec = [name, parent, parent[2], parent[3], parent[4], parent[5], 0, 0, None]
    _records.append(rec)
    stack.append(rec)
    rec[6] = _perf()
    try:
        return _original(name, import_)
    except BaseException as exc:
        rec[8] = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        rec[7] = _perf()
        stack.pop()


def is_active() -> bool:
    return _active


def begin(name: str, trigger: str, site: "str | None") -> "list[Any] | None":
    """A lazy load's record (see _recorder.begin)."""
    if not _active:
        return None
    stack = _stack()
    parent = stack[-1] if stack else None
    rec = [name, parent, get_ident(), parent[3] if parent else _thread_name(), trigger, site, 0, 0, None]
    _records.append(rec)
    stack.append(rec)
    rec[6] = _perf()
    return rec


def finish(rec: "list[Any] | None", exc: "BaseException | None") -> None:
    if rec is None:
        return
    rec[7] = _perf()
    if exc is not None:
        rec[8] = f"{type(exc).__name__}: {exc}"
    stack = _stacks.get(rec[2])
    if stack and stack[-1] is rec:
        stack.pop()


def _set_path0(entry: str) -> None:
    # What python puts first on sys.path for this kind of program, in place of this file's
    # directory (nothing under -P / PYTHONSAFEPATH, where python puts nothing there either).
    if not getattr(sys.flags, "safe_path", False) and sys.path:
        sys.path[0] = entry


def _run(kind: str, target: str, args: "list[str]") -> None:
    """Run the program as ``python -c``/``python script``/``python -m`` would, in a fresh
    ``__main__`` module (this file's own module stays alive for the hook's globals)."""
    main = type(sys)("__main__")
    main.__dict__["__builtins__"] = sys.modules["builtins"]
    sys.modules["__main__"] = main
    if kind == "module":
        sys.argv = ["-m", *args]  # runpy puts the module's path in argv[0]
        _set_path0(os.getcwd())
        import runpy  # what `python -m` imports too: recorded as part of the program

        runpy._run_module_as_main(target)  # type: ignore[attr-defined]
        return
    if kind == "code":
        sys.argv = ["-c", *args]
        _set_path0("")
        code = compile(target, "<string>", "exec", dont_inherit=True)
        main.__dict__["__loader__"] = _importlib.BuiltinImporter
    else:
        sys.argv = [target, *args]
        path = os.path.abspath(target)
        _set_path0(os.path.dirname(os.path.realpath(target)))
        with open(path, "rb") as f:
            source = f.read()
        code = compile(source, path, "exec", dont_inherit=True)
        external = sys.modules["_frozen_importlib_external"]
        main.__dict__.update(__file__=path, __cached__=None, __loader__=external.SourceFileLoader("__main__", path))
    main.__dict__["__spec__"] = None
    exec(code, main.__dict__)


def _exit_code(exc: SystemExit) -> int:
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    print(exc.code, file=sys.stderr)  # sys.exit("message"): the message, then status 1
    return 1


def main() -> int:
    """``sys.argv`` = ``[THIS_FILE, OUTPUT, KIND, TARGET, *ARGS]``: run, record, write, return
    the program's exit status."""
    global _original, _active
    output, kind, target, *args = sys.argv[1:]
    before = list(_modules)
    api = type(sys)(API_NAME)
    api.__dict__.update(begin=begin, finish=finish, is_active=is_active)
    _modules[API_NAME] = api
    wall0, perf0 = time.time_ns(), _perf()
    _original = _importlib._find_and_load
    _importlib._find_and_load = _hook
    _active = True
    code = 0
    try:
        _run(kind, target, args)
    except SystemExit as exc:
        code = _exit_code(exc)
    except BaseException:
        sys.excepthook(*sys.exc_info())  # the traceback python would print
        code = 1
    finally:
        _active = False
        if _importlib._find_and_load is _hook:
            _importlib._find_and_load = _original
        end = _perf()
        index = {id(rec): i for i, rec in enumerate(_records)}
        rows = [
            (r[0], None if r[1] is None else index[id(r[1])], r[2], r[3], r[4], r[5], r[6], r[7] or end,
             r[8], r[7] != 0)
            for r in _records
        ]  # fmt: skip
        data = {"version": 1, "anchor": (wall0, perf0), "before": before, "records": rows}
        with open(output, "w", encoding="utf-8") as f:
            f.write(repr(data))
    return code


if __name__ == "__main__":
    sys.exit(main())
