from __future__ import annotations

import io
import time

from error_fix.console import ProgressLine
from error_fix.scorers.interface import ScorerResult, ScorerStatus


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_line_draws_on_a_terminal_and_prints_each_result() -> None:
    stream = FakeTerminal()
    with ProgressLine(stream) as progress:
        progress.update("tests", "running the suite on the patched tree")
        time.sleep(1.1)  # one redraw tick: a long suite must not look hung
        progress.done(ScorerResult("tests", ScorerStatus.OK, 1.0, duration_s=2.5))
    out = stream.getvalue()
    assert "tests: running the suite on the patched tree" in out
    assert "✔ tests     ok       1.00  (2.5s)\n" in out


def test_progress_line_is_silent_off_a_terminal() -> None:
    stream = io.StringIO()
    with ProgressLine(stream) as progress:
        progress.update("tests", "running")
        progress.done(ScorerResult.unknown("lint", "ruff missing"))
    assert stream.getvalue() == ""
