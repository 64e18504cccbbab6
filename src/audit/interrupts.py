"""Ctrl-C that is never lost: the signal only sets a flag, and the loop raises where it is safe to.

Python's default handler raises KeyboardInterrupt wherever the main thread happens to be. When that is a
finalizer (urllib3 closing a connection pool during garbage collection), Python prints "Exception ignored"
and the interrupt is gone: the crawl runs on and publishes. A second Ctrl-C restores the default handler,
so an impatient user still interrupts at once.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def deferred_sigint() -> Iterator[threading.Event]:
    """Within the block SIGINT sets the yielded event instead of raising (main thread, default handler only)."""
    event = threading.Event()
    previous = signal.getsignal(signal.SIGINT)
    # a background job started with SIGINT ignored keeps ignoring it; signal handlers live in the main thread
    if previous is not signal.default_int_handler or threading.current_thread() is not threading.main_thread():
        yield event
        return

    def handler(signum: int, frame: object) -> None:
        event.set()
        signal.signal(signal.SIGINT, previous)

    signal.signal(signal.SIGINT, handler)
    try:
        yield event
    finally:
        signal.signal(signal.SIGINT, previous)
