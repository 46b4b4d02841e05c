"""A lease holder to be killed: ``python -m tests.caching.lease_holder <redis_url> <name>``.

Takes the Redis lease of ``compute(7)`` and computes forever (prints ``computing`` first), so
that the test can kill it with SIGKILL while it holds the lease.
"""

from __future__ import annotations

import sys
import time

from codomyrmex.performance import cached_function


def main(url: str, name: str) -> None:
    @cached_function(name=name, redis=url, lease_timeout=60, lease_wait=60)
    def compute(x: int) -> int:
        print("computing", flush=True)
        time.sleep(3600)
        return -1

    compute(7)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
