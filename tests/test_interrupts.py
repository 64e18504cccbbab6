"""Ctrl-C during a crawl is deferred to a safe point, never swallowed by a finalizer."""

from __future__ import annotations

import os
import signal
import time

import pytest

from audit.interrupts import deferred_sigint


def _deliver_sigint() -> None:
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(0.05)  # the handler runs between bytecodes of the main thread


def test_the_first_ctrl_c_sets_the_flag_the_second_interrupts_at_once() -> None:
    with deferred_sigint() as interrupted:
        _deliver_sigint()
        assert interrupted.is_set()
        with pytest.raises(KeyboardInterrupt):
            _deliver_sigint()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_finalizer_cannot_swallow_the_deferred_interrupt() -> None:
    class Pool:
        def __del__(self) -> None:  # what urllib3 does when a client is garbage-collected
            _deliver_sigint()

    with deferred_sigint() as interrupted:
        Pool()  # collected at once: the signal arrives inside __del__
        assert interrupted.is_set()


def test_an_ignored_sigint_stays_ignored() -> None:
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with deferred_sigint() as interrupted:
            _deliver_sigint()
            assert not interrupted.is_set()
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)
