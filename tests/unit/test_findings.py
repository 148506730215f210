from __future__ import annotations

from error_fix.scorers.findings import decay, diff_findings
from error_fix.scorers.interface import Finding


def f(path: str, line: int, rule: str = "F401", message: str = "unused") -> Finding:
    return Finding(path, line, rule, message)


def test_matching_ignores_line_numbers() -> None:
    diff = diff_findings([f("a.py", 3)], [f("a.py", 7)])
    assert diff.introduced == () and diff.preexisting == 1 and diff.fixed == 0


def test_a_second_copy_is_introduced_and_the_copy_on_an_added_line_is_blamed() -> None:
    base = [f("a.py", 3)]
    patched = [f("a.py", 12), f("a.py", 3)]
    diff = diff_findings(base, patched, {"a.py": [12]})
    assert diff.introduced == (f("a.py", 12),)
    assert diff.preexisting == 1
    # Whatever order the tool prints them in.
    assert diff_findings(base, list(reversed(patched)), {"a.py": [12]}).introduced == (
        f("a.py", 12),
    )


def test_message_and_rule_are_part_of_the_key() -> None:
    diff = diff_findings(
        [f("a.py", 1, message="unused os")],
        [f("a.py", 1, message="unused sys"), f("b.py", 1, message="unused os")],
    )
    assert len(diff.introduced) == 2 and diff.fixed == 1


def test_decay_curve() -> None:
    assert decay(0, 0.7) == 1.0
    assert decay(1, 0.7) == 0.7
    assert round(decay(3, 0.6), 3) == 0.216
