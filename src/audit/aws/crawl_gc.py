"""The garbage collector tuned for crawling, in the crawl's process and in its local worker processes.

- The objects alive when the crawl starts (modules, the service models read so far) are left out
  of its full collections (`gc.freeze`; `gc.unfreeze` hands them back to the oldest generation). A
  crawl's heap grows as clients are built and service models read, and every growth by a quarter
  triggered a full collection walking all of them.
- The youngest generation is collected every CRAWL_GC_THRESHOLD allocations instead of 700:
  building a client or parsing an answer allocates thousands of objects that live on, so young
  collections kept promoting them towards the full ones.

The collector's share of a realistic 2-account crawl's client CPU went from ~15% to ~2%
(bench/crawl.py --profile realistic, timed with gc callbacks: ~0.9 s down to ~0.1 s for 850 calls,
the models' plain dicts of audit.aws.botodata included). A process that froze objects of its own (a
pre-fork server) or disabled the collector keeps its choice: nothing is changed then.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# The youngest generation's threshold while a crawl runs (CPython's default is 700 allocations).
CRAWL_GC_THRESHOLD = 10_000


def tune() -> tuple[int, int, int] | None:
    """Tune this process's collector for crawling; the thresholds to restore, or None when the
    process's own choice is kept (collector disabled, objects frozen already)."""
    if not gc.isenabled() or gc.get_freeze_count():
        return None
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(threshold[0], CRAWL_GC_THRESHOLD), *threshold[1:])
    return threshold


@contextmanager
def crawl_gc() -> Iterator[None]:
    """`tune` while the block runs, and the process's own settings back after it."""
    previous = tune()
    try:
        yield
    finally:
        if previous is not None:
            gc.set_threshold(*previous)
            gc.unfreeze()
