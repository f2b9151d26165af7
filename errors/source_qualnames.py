"""The qualified name of the function at a line of a source file, read from the file itself.

A formatted trace names each frame's function by its plain name (``in push``), while a live
culprit uses the code's qualified name (``InvoiceSync.push``). Reading the file's current
source gives the qualified name back, so an error grouped from its stored trace lands in the
group the same failure joins live. Python's own rules are followed: a class nests with a dot,
a function defined inside a function with ``<locals>``.

Every file is parsed once per version (path, size and modification time) and the answer is
never an exception: a file that is gone, unreadable or not valid Python gives no answer.
"""

import ast
import functools
import os
import sys
from collections import defaultdict

# Code objects of their own, named as the compiler names them. List, set and dict
# comprehensions run inside their function since Python 3.12 (PEP 709).
_NAMED_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_ANONYMOUS_SCOPES: dict[type, str] = {ast.Lambda: "<lambda>", ast.GeneratorExp: "<genexpr>"}
if sys.version_info < (3, 12):
    _ANONYMOUS_SCOPES |= {ast.ListComp: "<listcomp>", ast.SetComp: "<setcomp>"}
    _ANONYMOUS_SCOPES |= {ast.DictComp: "<dictcomp>"}
# Scopes whose children are named ``<locals>`` (a comprehension's are not).
_FUNCTION_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)

# name -> (first line, last line, qualified name) of every scope of that name in a file
Definitions = dict[str, list[tuple[int, int, str]]]


def qualname_at(path: str, line: int, function: str) -> str | None:
    """The qualified name of the function ``function`` running at ``line`` of ``path``: the
    innermost scope of that name enclosing the line, else the only qualified name a scope of
    that name has in the file (the source moved since), else None (several, or no readable
    file)."""
    definitions = _definitions_of(path)
    if definitions is None:
        return None
    candidates = definitions.get(function, [])
    enclosing = [(first, qualname) for first, last, qualname in candidates if first <= line <= last]
    if enclosing:
        return max(enclosing)[1]  # the innermost starts last
    qualnames = {qualname for _, _, qualname in candidates}  # a property's getter and setter
    return qualnames.pop() if len(qualnames) == 1 else None


def _definitions_of(path: str) -> Definitions | None:
    try:
        status = os.stat(path)
    except (OSError, ValueError):
        return None
    return _parsed(path, status.st_size, status.st_mtime_ns)


@functools.lru_cache(maxsize=512)
def _parsed(path: str, size: int, mtime_ns: int) -> Definitions | None:
    """Cached by version: a backfill asks of the same few files again and again, and an
    edited file is read afresh."""
    try:
        with open(path, "rb") as source:
            tree = ast.parse(source.read(), filename=path)
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    definitions: Definitions = defaultdict(list)
    _collect(tree, "", False, definitions)
    return dict(definitions)


def _collect(node: ast.AST, prefix: str, in_function: bool, found: Definitions) -> None:
    """Record every scope below ``node``; ``prefix`` is the enclosing scope's qualified name
    and ``in_function`` whether that scope is a function (its children are ``<locals>``)."""
    stack = [(child, prefix, in_function) for child in ast.iter_child_nodes(node)]
    while stack:
        child, outer, outer_is_function = stack.pop()
        name = _scope_name(child)
        if name is None:
            stack.extend(
                (grandchild, outer, outer_is_function) for grandchild in ast.iter_child_nodes(child)
            )
            continue
        qualname = f"{outer}.<locals>.{name}" if outer_is_function else f"{outer}.{name}"
        qualname = qualname.removeprefix(".")
        last = getattr(child, "end_lineno", None) or child.lineno
        found[name].append((child.lineno, last, qualname))
        inner_is_function = isinstance(child, _FUNCTION_SCOPES)
        outside, inside = _split(child)
        stack.extend((part, outer, outer_is_function) for part in outside)
        stack.extend((part, qualname, inner_is_function) for part in inside)


def _scope_name(node: ast.AST) -> str | None:
    if isinstance(node, _NAMED_SCOPES):
        return node.name
    return _ANONYMOUS_SCOPES.get(type(node))


def _split(scope: ast.AST) -> tuple[list[ast.AST], list[ast.AST]]:
    """A scope's parts run by the enclosing scope (decorators, defaults, bases, a
    comprehension's first iterable) and those run by the scope itself."""
    if isinstance(scope, _NAMED_SCOPES):
        inside = list(scope.body)
    elif isinstance(scope, ast.Lambda):
        inside = [scope.body]
    else:  # a comprehension
        first = scope.generators[0]
        inside = [first.target, *first.ifs]
        inside += [part for part in ast.iter_child_nodes(scope) if part is not first]
        return [first.iter], inside
    ids = {id(part) for part in inside}
    return [part for part in ast.iter_child_nodes(scope) if id(part) not in ids], inside
