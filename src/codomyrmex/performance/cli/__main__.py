"""``python -m codomyrmex.performance.cli`` is ``codomyrmex-perf``."""

from . import main

raise SystemExit(main())
