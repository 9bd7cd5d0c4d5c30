"""Running work off the UI thread: the UI thread never waits for disk, database, device or
model.

:class:`TaskRunner` runs a function on its own thread pool and calls ``on_done(result)`` or
``on_error(exception)`` back **on the UI thread** (through a queued Qt signal). The records
runner has one thread, so database calls run one after the other in the order they were
asked for; heavy work (loading a model or a recording, opening a device) has its own runner.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger("gui")


class _Relay(QObject):
    done = Signal(object, object)  # (callback, value)


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay, on_done, on_error):
        super().__init__()
        self.setAutoDelete(True)
        self.fn, self.relay, self.on_done, self.on_error = fn, relay, on_done, on_error

    def run(self) -> None:
        try:
            value = self.fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the UI thread
            if self.on_error is None:
                log.error("background task failed: %r", exc, exc_info=exc)
            self.relay.done.emit(self.on_error, exc)
            return
        self.relay.done.emit(self.on_done, value)


class TaskRunner(QObject):
    """A named thread pool whose callbacks run on the thread that created it (the UI)."""

    def __init__(self, name: str, threads: int = 1, parent: QObject | None = None):
        super().__init__(parent)
        self.name = name
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(threads)
        self._relay = _Relay(self)
        self._relay.done.connect(self._deliver)
        self._pending = 0

    def run(self, fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
            on_error: Callable[[BaseException], None] | None = None) -> None:
        self._pending += 1
        self.pool.start(_Task(fn, self._relay, on_done, on_error))

    def _deliver(self, callback, value) -> None:
        self._pending -= 1
        if callback is not None:
            try:
                callback(value)
            except Exception:  # a bug in a callback must not kill the event loop
                log.exception("%s: task callback failed", self.name)

    @property
    def pending(self) -> int:
        """Tasks started whose callback has not run yet."""
        return self._pending

    def wait(self, msecs: int = 10000) -> bool:
        """Wait for the pool's threads (shutdown and tests; never on a user action)."""
        return self.pool.waitForDone(msecs)
