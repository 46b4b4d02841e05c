"""A second process for the cross-process stampede test: ``python -m tests.caching.redis_worker
<redis_url> <cache_name>``.

Calls one cached function whose body counts its executions in Redis and then blocks until the
test pushes to ``<name>:go``. Prints ``calling`` before the call and a JSON result after it.
"""

from __future__ import annotations

import json
import sys

import redis

from codomyrmex.performance import cached_function


def main(url: str, name: str) -> None:
    client = redis.Redis.from_url(url)

    @cached_function(name=name, redis=url, lease_timeout=60, lease_wait=60)
    def compute(x: int) -> dict[str, int]:
        client.incr(f"{name}:execs")
        client.blpop([f"{name}:go"], timeout=60)
        return {"x": x, "square": x * x}

    print("calling", flush=True)
    value = compute(7)
    stats = compute.cache_stats()  # type: ignore[attr-defined]
    print(json.dumps({"value": value, "redis_hits": stats.redis_hits}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
