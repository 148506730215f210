"""Mutants of the lines a patch adds: the classic operators, as text edits of the patched file.

A mutant is one span of the file replaced by another text that keeps the line count, so every
line number (tracebacks, the functions' first lines) stays where it was. Only code inside
functions is mutated: the runner swaps a function's code object in a live test process, and
module- or class-level code ran once at import.

Operators, in the order a line gets them: relational swap with boundary shift (``<`` ↔ ``<=``)
and negation (``<`` → ``>=``, ``==`` ↔ ``!=``, ``is`` ↔ ``is not``, ``in`` ↔ ``not in``),
``and`` ↔ ``or``, condition negation (``if c`` → ``if not (c)``, ``not c`` → ``c``), arithmetic
(``+`` ↔ ``-``, ``*`` ↔ ``/``, the same in ``+=``), constants (n ± 1, ``True`` ↔ ``False``, a
string or collection made empty; not the message a ``raise`` or ``assert`` gives), return value
replaced by ``None``, statement removed (``pass``).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

_SHOWN = 80
"""Characters of a mutant's texts shown in a report."""
_SHOWN_IN_LINE = ("constant", "return")
"""Operators whose changed text (an operand) is shown with its whole line."""


@dataclass(frozen=True)
class Mutant:
    """One small change of one changed line."""

    path: str
    """File, relative to the tree root."""
    line: int
    """First line of the changed text (1-based)."""
    end_line: int
    """Last line of the changed text."""
    start: int
    """Byte offset where the replaced text starts in the file."""
    end: int
    """Byte offset where it ends."""
    original: str
    """The text replaced."""
    mutated: str
    """What replaces it (the same number of lines)."""
    operator: str
    """Which operator made it (boundary, negate, and_or, condition, arithmetic, constant,
    return, remove)."""
    function: str
    """Qualified name of the function holding it."""
    context: tuple[str, str] | None = None
    """The whole line before and after, when the changed text alone says little (an operand)."""

    @property
    def key(self) -> str:
        """Stable id within a patch."""
        return f"{self.path}:{self.start}:{self.end}:{self.operator}:{self.mutated}"

    def described(self) -> str:
        """``no test fails when `a < b` becomes `a <= b` (line 42)``."""
        before, after = self.context or (self.original, self.mutated)
        return f"no test fails when `{shown(before)}` becomes `{shown(after)}` (line {self.line})"

    def apply(self, source: bytes) -> bytes:
        """``source`` with this mutant in it."""
        return source[: self.start] + self.mutated.encode("utf-8") + source[self.end :]

    def to_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "original": self.original,
            "mutated": self.mutated,
            "operator": self.operator,
            "function": self.function,
            "shown": list(self.context or (self.original, self.mutated)),
            "described": self.described(),
        }


def shown(text: str) -> str:
    """A mutant's text on one line, cut for a report."""
    flat = " ".join(text.split())
    return flat if len(flat) <= _SHOWN else flat[: _SHOWN - 1] + "…"


_COMPARE_SWAPS: dict[type[ast.cmpop], list[tuple[str, str, str]]] = {
    # (operator name, token as written, its replacement)
    ast.Lt: [("boundary", "<", "<="), ("negate", "<", ">=")],
    ast.LtE: [("boundary", "<=", "<"), ("negate", "<=", ">")],
    ast.Gt: [("boundary", ">", ">="), ("negate", ">", "<=")],
    ast.GtE: [("boundary", ">=", ">"), ("negate", ">=", "<")],
    ast.Eq: [("negate", "==", "!=")],
    ast.NotEq: [("negate", "!=", "==")],
    ast.Is: [("negate", "is", "is not")],
    ast.IsNot: [("negate", "is not", "is")],
    ast.In: [("negate", "in", "not in")],
    ast.NotIn: [("negate", "not in", "in")],
}
_ARITHMETIC: dict[type[ast.operator], tuple[str, str]] = {
    ast.Add: ("+", "-"),
    ast.Sub: ("-", "+"),
    ast.Mult: ("*", "/"),
    ast.Div: ("/", "*"),
}
_TOKEN = {
    "<": r"<(?![<=])",
    "<=": r"<=",
    ">": r"(?<![-=])>(?![>=])",
    ">=": r">=",
    "==": r"==",
    "!=": r"!=",
    "is": r"\bis\b(?!\s+not\b)",
    "is not": r"\bis\s+not\b",
    "in": r"(?<!not )\bin\b",
    "not in": r"\bnot\s+in\b",
    "and": r"\band\b",
    "or": r"\bor\b",
    "+": r"\+(?!=)",
    "-": r"-(?!=)",
    "*": r"\*(?![*=])",
    "/": r"/(?![/=])",
    "+=": r"\+=",
    "-=": r"-=",
    "*=": r"\*=",
    "/=": r"/=",
}
_REMOVABLE = (ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete, ast.Raise)
_COLLECTION_EMPTY = {ast.List: "[]", ast.Tuple: "()", ast.Dict: "{}", ast.Set: "set()"}


class _Source:
    """The file's bytes with a byte offset for each (line, column) the ast gives."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.starts = [0]
        for line in data.splitlines(keepends=True):
            self.starts.append(self.starts[-1] + len(line))

    def offset(self, line: int, col: int) -> int:
        return self.starts[line - 1] + col

    def span(self, node: ast.AST) -> tuple[int, int] | None:
        end_line, end_col = getattr(node, "end_lineno", None), getattr(node, "end_col_offset", None)
        if end_line is None or end_col is None:
            return None
        return self.offset(node.lineno, node.col_offset), self.offset(end_line, end_col)  # type: ignore[attr-defined]

    def text(self, start: int, end: int) -> str:
        return self.data[start:end].decode("utf-8")

    def line_text(self, line: int) -> bytes:
        return self.data[self.starts[line - 1] : self.starts[line]]


def generate(source: bytes, path: str, changed: Iterable[int]) -> list[Mutant]:
    """Every mutant of the code on ``changed`` lines of ``source`` (the patched file) that sits
    inside a function, in the order each line gets them. A file that does not parse has none."""
    lines = set(changed)
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    text = _Source(source)
    found: list[Mutant] = []
    seen: set[tuple[int, int, str]] = set()
    messages = _messages(tree)
    for node, function in _in_functions(tree):
        if getattr(node, "lineno", None) not in lines or id(node) in messages:
            continue
        for mutant in _mutants_of(node, function, text, path):
            edit = (mutant.start, mutant.end, mutant.mutated)
            if edit not in seen and mutant.original != mutant.mutated:
                seen.add(edit)
                found.append(mutant)
    found.sort(key=lambda m: (m.line, _RANK.get(m.operator, 9), m.start))
    return found


_RANK = {
    "boundary": 0,
    "negate": 1,
    "and_or": 2,
    "condition": 3,
    "arithmetic": 4,
    "constant": 5,
    "return": 6,
    "remove": 7,
}


def _in_functions(tree: ast.Module) -> Iterator[tuple[ast.AST, str]]:
    """Every node that runs inside a function, with the qualified name of the innermost one.
    Decorators and defaults run where the function is defined; f-string parts carry no
    positions of their own on older Pythons, so they are left alone."""

    def visit(node: ast.AST, names: list[str], scope: str | None) -> Iterator[tuple[ast.AST, str]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                inner = [*names, child.name]
                for statement in child.body:
                    if not _is_docstring(statement, child):
                        yield statement, ".".join(inner)
                        yield from visit(statement, inner, ".".join(inner))
            elif isinstance(child, ast.ClassDef):
                for statement in child.body:
                    yield from visit(
                        ast.Module(body=[statement], type_ignores=[]), [*names, child.name], None
                    )
            elif isinstance(child, ast.JoinedStr):
                continue
            else:
                if scope is not None:
                    yield child, scope
                yield from visit(child, names, scope)

    yield from visit(tree, [], None)


def _messages(tree: ast.Module) -> set[int]:
    """The string constants of what a ``raise`` or an ``assert`` says (ids): emptying an error
    message is a change no reader of the fix would want a test for."""
    said = [
        part
        for node in ast.walk(tree)
        for part in (
            (node.exc,)
            if isinstance(node, ast.Raise)
            else (node.msg,)
            if isinstance(node, ast.Assert)
            else ()
        )
        if part is not None
    ]
    return {
        id(n)
        for part in said
        for n in ast.walk(part)
        if isinstance(n, ast.Constant) and isinstance(n.value, str)
    }


def _is_docstring(statement: ast.stmt, function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return (
        statement is function.body[0]
        and isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, str)
    )


def _mutants_of(node: ast.AST, function: str, text: _Source, path: str) -> Iterator[Mutant]:
    span = text.span(node)
    if span is None:
        return
    start, end = span
    original = text.text(start, end)

    def make(operator: str, mutated: str, at: tuple[int, int] | None = None) -> Mutant:
        first, last = at or (start, end)
        before = text.text(first, last)
        line = text.data.count(b"\n", 0, first) + 1
        context = None
        if operator in _SHOWN_IN_LINE and "\n" not in before:
            whole = text.line_text(line)
            cut = first - text.starts[line - 1], last - text.starts[line - 1]
            after = whole[: cut[0]] + mutated.encode("utf-8") + whole[cut[1] :]
            context = (whole.decode("utf-8").strip(), after.decode("utf-8").strip())
        return Mutant(
            path,
            line,
            text.data.count(b"\n", 0, last) + 1,
            first,
            last,
            before,
            _keep_lines(before, mutated),
            operator,
            function,
            context,
        )

    def between(left: ast.AST, right: ast.AST, token: str, replacement: str) -> str | None:
        """``original`` with ``token`` in the gap between two operands replaced."""
        a, b = text.span(left), text.span(right)
        if a is None or b is None:
            return None
        gap = text.text(a[1], b[0])
        match = re.search(_TOKEN[token], gap)
        if match is None:
            return None
        offset = len(text.text(start, a[1]))
        return original[: offset + match.start()] + replacement + original[offset + match.end() :]

    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        for operator, token, replacement in _COMPARE_SWAPS.get(type(node.ops[0]), []):
            mutated = between(node.left, node.comparators[0], token, replacement)
            if mutated is not None:
                yield make(operator, mutated)
    elif isinstance(node, ast.BoolOp) and len(node.values) >= 2:
        token, replacement = ("and", "or") if isinstance(node.op, ast.And) else ("or", "and")
        mutated = between(node.values[0], node.values[1], token, replacement)
        if mutated is not None:
            yield make("and_or", mutated)
    elif isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
        token, replacement = _ARITHMETIC[type(node.op)]
        mutated = between(node.left, node.right, token, replacement)
        if mutated is not None:
            yield make("arithmetic", mutated)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        operand = text.span(node.operand)
        if operand is not None:
            yield make("condition", text.text(start, end)[len("not") :].lstrip(" "))
    elif isinstance(node, ast.Constant):
        yield from (make("constant", value) for value in _constant_mutations(node))
    elif type(node) in _COLLECTION_EMPTY and _non_empty(node):
        yield make("constant", _COLLECTION_EMPTY[type(node)])

    if isinstance(node, ast.If | ast.While | ast.IfExp):
        test = text.span(node.test)
        if test is not None and not (
            isinstance(node.test, ast.UnaryOp) and isinstance(node.test.op, ast.Not)
        ):
            inner = text.text(*test)
            yield make("condition", f"not ({inner})", test)
    if isinstance(node, ast.AugAssign) and type(node.op) in _ARITHMETIC:
        token, replacement = _ARITHMETIC[type(node.op)]
        mutated = between(node.target, node.value, token + "=", replacement + "=")
        if mutated is not None:
            yield make("arithmetic", mutated)
    if isinstance(node, ast.Return) and node.value is not None:
        value = text.span(node.value)
        if value is not None and not (
            isinstance(node.value, ast.Constant) and node.value.value is None
        ):
            yield make("return", "None", value)
    if isinstance(node, _REMOVABLE) and _alone_on_its_lines(node, text, start, end):
        yield make("remove", "pass")


def _constant_mutations(node: ast.Constant) -> list[str]:
    value = node.value
    if isinstance(value, bool):
        return [repr(not value)]
    if isinstance(value, int):
        return [repr(value + 1), repr(value - 1)]
    if isinstance(value, float):
        return [repr(value + 1.0), repr(value - 1.0)]
    if isinstance(value, str):
        return ['""'] if value else ['"error-fix"']
    return []


def _non_empty(node: ast.AST) -> bool:
    if isinstance(node, ast.Dict):
        return bool(node.keys)
    return bool(getattr(node, "elts", ()))


def _alone_on_its_lines(node: ast.AST, text: _Source, start: int, end: int) -> bool:
    """The statement starts its first line and ends its last (so ``pass`` can stand there):
    no ``;`` neighbour, not the body of a one-line ``if x: y``."""
    first = node.lineno  # type: ignore[attr-defined]
    last = node.end_lineno  # type: ignore[attr-defined]
    head = text.data[text.starts[first - 1] : start]
    tail = text.data[end : text.starts[last]]
    return not head.strip() and (not tail.strip() or tail.strip().startswith(b"#"))


def _keep_lines(before: str, after: str) -> str:
    """``after`` with as many line breaks as ``before`` has, so no line moves."""
    missing = before.count("\n") - after.count("\n")
    return after + "\n" * missing if missing > 0 else after


Edit = tuple[int, int, str]
"""(start byte, end byte, replacement text) of a file."""
_NOT_WRAPPED = (ast.Constant, ast.Starred, ast.Slice, ast.JoinedStr, ast.FormattedValue)


def equivalent_edits(source: bytes, changed: Iterable[int]) -> dict[int, list[Edit]]:
    """For each changed line inside a function, edits that change its code but not what it does:
    an expression ``e`` starting there becomes ``[(e)][0]``, outermost expression first.

    The mutant runner's control runs the tests with such code swapped in: a test that fails
    then notices that the code was swapped (say, by comparing it with what its file compiles
    to), not what it does, so it kills no mutant.
    """
    lines = set(changed)
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return {}
    text = _Source(source)
    annotations = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.AnnAssign)
        for inner in ast.walk(node.annotation)
    }
    found: dict[int, list[tuple[int, Edit]]] = {}
    for node, _ in _in_functions(tree):
        line = getattr(node, "lineno", None)
        if (
            line not in lines
            or not isinstance(node, ast.expr)
            or isinstance(node, _NOT_WRAPPED)
            or not isinstance(getattr(node, "ctx", ast.Load()), ast.Load)
            or id(node) in annotations
        ):
            continue
        span = text.span(node)
        if span is not None:
            start, end = span
            edit = (start, end, f"[({text.text(start, end)})][0]")
            found.setdefault(line, []).append((start - end, edit))
    return {line: [e for _, e in sorted(edits)] for line, edits in sorted(found.items())}


def by_line(mutants: Sequence[Mutant]) -> dict[tuple[str, int], list[Mutant]]:
    """Mutants grouped by (file, line), in the order each line gets them."""
    grouped: dict[tuple[str, int], list[Mutant]] = {}
    for mutant in mutants:
        grouped.setdefault((mutant.path, mutant.line), []).append(mutant)
    return grouped


def round_robin(groups: Sequence[Sequence[T]], limit: int) -> list[T]:
    """At most ``limit`` items: the first of every group, then the second of every group, ...
    (every changed line is covered before any line gets a second mutant)."""
    chosen: list[T] = []
    depth = 0
    while len(chosen) < limit and any(len(g) > depth for g in groups):
        for group in groups:
            if depth < len(group) and len(chosen) < limit:
                chosen.append(group[depth])
        depth += 1
    return chosen
