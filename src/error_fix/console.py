"""Live progress on a terminal: one status line, redrawn every second, so a long suite never
looks hung. Silent when stderr is not a TTY (CI logs, pipes) or when asked to be quiet."""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

from .scorers.interface import ScorerResult


class ProgressLine:
    def __init__(self, stream: TextIO | None = None, enabled: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self._lock = threading.Lock()
        self._doing: dict[str, str] = {}
        self._start = time.monotonic()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> ProgressLine:
        if self.enabled:
            self._thread = threading.Thread(target=self._tick, daemon=True, name="progress")
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._clear()

    def update(self, name: str, message: str) -> None:
        with self._lock:
            self._doing[name] = message
        self._draw()

    def done(self, result: ScorerResult) -> None:
        with self._lock:
            self._doing.pop(result.name, None)
        if self.enabled:
            mark = {"ok": "✔", "unknown": "?", "skipped": "-"}[str(result.status)]
            self._clear()
            self.stream.write(
                f"{mark} {result.name:<9} {result.status:<8} {result.score:.2f}  "
                f"({result.duration_s:.1f}s)\n"
            )
            self.stream.flush()
            self._draw()

    def _tick(self) -> None:
        while not self._stop.wait(1.0):
            self._draw()

    def _clear(self) -> None:
        if self.enabled:
            self.stream.write("\r\033[K")

    def _draw(self) -> None:
        if not self.enabled:
            return
        with self._lock:
            doing = "; ".join(f"{n}: {m}" for n, m in sorted(self._doing.items()))
        elapsed = time.monotonic() - self._start
        self.stream.write(f"\r\033[K[{elapsed:5.0f}s] scoring… {doing}"[:200])
        self.stream.flush()
