"""``python -m codomyrmex.performance.importtime [options] (-m module | -c code | script)``."""

from __future__ import annotations

from ._run import main

if __name__ == "__main__":
    raise SystemExit(main())
