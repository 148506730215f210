import random

import pytest

from shopkit import csvparse

ROWS = 3000


@pytest.mark.parametrize(
    ("line", "fields"),
    [
        ("a,b,c", ["a", "b", "c"]),
        ('"a,b",c', ["a,b", "c"]),
        ('"say ""hi""",x', ['say "hi"', "x"]),
        (",,", ["", "", ""]),
        ("single", ["single"]),
        ('"",x', ["", "x"]),
    ],
)
def test_parse_line(line, fields):
    assert csvparse.parse_line(line) == fields


def test_parse_line_other_separator():
    assert csvparse.parse_line("a;b", sep=";") == ["a", "b"]


def test_unterminated_quote():
    with pytest.raises(ValueError):
        csvparse.parse_line('"open')


def test_parse_with_header():
    assert csvparse.parse("x,y\n1,2\n\n3,4\n") == [{"x": "1", "y": "2"}, {"x": "3", "y": "4"}]


def test_parse_rejects_short_rows():
    with pytest.raises(ValueError, match="line 3"):
        csvparse.parse("x,y\n1,2\n3\n")


@pytest.mark.parametrize(("value", "quoted"), [("plain", "plain"), ("a,b", '"a,b"'),
                                              ('q"q', '"q""q"')])
def test_quote(value, quoted):
    assert csvparse.quote(value) == quoted


def _export(rng: random.Random, rows: int) -> str:
    words = ["red", "blue", "large", "small", "mug", "shirt", "pack, of 3", 'the "best"']
    lines = ["id,name,notes,qty,price,tags"]
    for n in range(rows):
        name = " ".join(rng.choice(words) for _ in range(3))
        notes = " ".join(rng.choice(words) for _ in range(6))
        row = [str(n), name, notes, str(rng.randint(1, 99)), f"{rng.random() * 100:.2f}", "x"]
        lines.append(",".join(csvparse.quote(value) for value in row))
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("seed", range(6))
def test_parse_a_large_export(seed):
    text = _export(random.Random(seed), ROWS)
    rows = csvparse.parse(text)
    assert len(rows) == ROWS
    header = ["id", "name", "notes", "qty", "price", "tags"]
    assert csvparse.parse(csvparse.dump(rows, header)) == rows
