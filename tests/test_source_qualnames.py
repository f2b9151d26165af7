"""The qualified name read back from source is the one the interpreter gives the code."""

import os

import pytest

from errors.source_qualnames import qualname_at

SOURCE = """\
import functools


def module_function():
    return 1


class Outer:
    class Inner:
        def method(self):
            return 2

    @functools.cached_property
    def decorated(self):
        return 3

    @property
    def value(self):
        return 4

    @value.setter
    def value(self, new):
        self._value = new

    async def fetch(self):
        return 5

    handler = lambda self: 6  # noqa: E731


def outer(items):
    def inner():
        class Local:
            def method(self):
                return 7

        return Local

    square = lambda n: n * n  # noqa: E731
    doubled = (
        n * 2
        for n in items
    )
    listed = [
        [m for m in range(n)]
        for n in items
    ]
    return inner, square, doubled, listed
"""


def code_objects(code):
    for constant in code.co_consts:
        if hasattr(constant, "co_qualname"):
            yield constant
            yield from code_objects(constant)


def body_lines(code):
    """The lines a traceback can show for this code: its own, past its first (the def or
    decorator line, run by the enclosing code)."""
    lines = {line for _, _, line in code.co_lines() if line}
    inner = {line for const in code_objects(code) for line in _all_lines(const)}
    own = sorted(lines - inner - {code.co_firstlineno})
    return own or [code.co_firstlineno]


def _all_lines(code):
    return {line for _, _, line in code.co_lines() if line}


@pytest.fixture(scope="module")
def source_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("source") / "sample.py"
    path.write_text(SOURCE)
    return path


def cases():
    code = compile(SOURCE, "sample.py", "exec")
    return [
        (line, inner.co_name, inner.co_qualname)
        for inner in code_objects(code)
        for line in body_lines(inner)
    ]


@pytest.mark.parametrize(("line", "name", "qualname"), cases())
def test_the_qualified_name_at_a_line_is_the_interpreters(source_file, line, name, qualname):
    assert qualname_at(str(source_file), line, name) == qualname


def test_the_cases_cover_classes_locals_lambdas_and_generators():
    qualnames = {qualname for _, _, qualname in cases()}
    assert {
        "Outer.Inner.method",
        "Outer.value",
        "Outer.<lambda>",
        "outer.<locals>.inner.<locals>.Local.method",
        "outer.<locals>.<lambda>",
        "outer.<locals>.<genexpr>",
    } <= qualnames


def test_an_edited_file_is_read_again(tmp_path):
    path = tmp_path / "sync.py"
    path.write_text("def push():\n    return 1\n")
    assert qualname_at(str(path), 2, "push") == "push"

    path.write_text("class Sync:\n    def push(self):\n        return 1\n")
    os.utime(path, ns=(0, 10**18))  # a new version even within the clock's resolution

    assert qualname_at(str(path), 3, "push") == "Sync.push"


def test_a_function_defined_twice_in_one_scope_is_found_by_its_line(tmp_path):
    path = tmp_path / "twice.py"
    path.write_text(
        "class A:\n    def f(self):\n        return 1\n\n\n"
        "class B:\n    def f(self):\n        return 2\n"
    )
    assert qualname_at(str(path), 3, "f") == "A.f"
    assert qualname_at(str(path), 8, "f") == "B.f"
    assert qualname_at(str(path), 5, "f") is None
