"""The context's one walk (errors.storable_context) stores exactly what the four steps it
replaced store, one after the other: the JSON conversion, the cut before scrubbing, the
scrubbing and the bounding. Generated contexts mix what callers hand in (nested invoices,
secrets, query strings, long and short texts, NUL bytes, lone surrogates, huge integers,
values of every type the conversion knows, cycles, hostile objects) under limits small
enough that every cut and the read-ahead budget come into play."""

import contextlib
import dataclasses
import datetime
import decimal
import enum
import json
import uuid
from collections.abc import Mapping

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from errors.limits import Limits
from errors.storable_context import (
    KeysMerged,
    _Walk,
    four_steps,
    storable_context,
    walked_context,
)


class Colour(enum.Enum):
    RED = "red"


@dataclasses.dataclass
class Line:
    description: str
    amount: int


class Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no text")

    def __repr__(self) -> str:
        return "<Unprintable>"


class Unreadable(Mapping):
    def __getitem__(self, key):
        raise RuntimeError("items refused")

    def __iter__(self):
        raise RuntimeError("items refused")

    def __len__(self) -> int:
        return 1


KEYS = st.sampled_from(
    [
        "reference",
        "password",
        "X-Api-Key",
        "query_string",
        "query",
        "author",
        "note",
        "a" * 90,
        "a" * 91,
        "n\x00",
        "n\u2400",
        "\ud800",
        "\ufffd",
        "",
    ]
) | st.text(max_size=12)
TEXTS = st.sampled_from(
    [
        "postgres://app:hunter2@db/x",
        "a=1&token=abc&key=zz",
        "Bearer abcdefghijklmnop",
        "card 4111 1111 1111 1111 paid",
        "nul\x00inside",
        "lone \ud800 half",
        "x" * 300,
        "y" * 70,
    ]
) | st.text(max_size=120)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | TEXTS
    | st.binary(max_size=20)
    | st.uuids()
    | st.decimals(allow_nan=False, allow_infinity=False)
    | st.datetimes()
    | st.just(Colour.RED)
    | st.just(Line("fitting", 3))
    | st.just(Unprintable())
    | st.just(ValueError("inner"))
    | st.frozensets(st.integers(0, 9), max_size=3)
)
VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=5)
        | st.tuples(children, children)
        | st.dictionaries(KEYS | st.integers(0, 3), children, max_size=5)
    ),
    max_leaves=40,
)
LIMITS = st.builds(
    Limits,
    message=st.just(1000),
    trace=st.just(1000),
    context_value=st.integers(min_value=1, max_value=200),
    context=st.integers(min_value=10, max_value=3000),
    keep_nul=st.booleans(),
)


def assert_same_as_four_steps(context: dict, limits: Limits) -> None:
    expected = four_steps(dict(context), limits)
    assert storable_context(context, limits) == expected
    with contextlib.suppress(KeysMerged):  # if raised, storable_context took the four steps
        assert walked_context(dict(context), limits) == expected


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(context=st.dictionaries(KEYS, VALUES, max_size=8), limits=LIMITS)
def test_one_walk_stores_what_the_four_steps_store(context, limits):
    assert_same_as_four_steps(context, limits)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    context=st.dictionaries(KEYS | st.just("\U0001f600" * 3), VALUES | st.just("\U0001f600" * 40)),
    limits=LIMITS,
)
def test_the_walk_never_counts_less_json_than_fit_context_measures(context, limits):
    """A context the walk cut nothing of is stored whole without being encoded when
    json_length_at_most is within the limit: it must never be less than what fit_context
    measures (characters outside the BMP are escaped as 12)."""
    walk = _Walk(limits)
    with contextlib.suppress(KeysMerged):
        stored = walk.mapping(dict(context), 1, set(), raw=True, whole=True)
        measured = sum(len(json.dumps(item)) + len(key) + 6 for key, item in stored.items())
        assert measured <= walk.json_length_at_most()


def invoice(number: int) -> dict:
    lines = [
        {"description": f"Labour, stage {n}", "quantity": n, "unit_amount": f"{n}0.50"}
        for n in range(40)
    ]
    return {"n": number, "invoice": {"reference": f"INV-{number:08d}", "lines": lines}}


DEFAULT_LIMITS = Limits(
    message=65536, trace=262144, context_value=16384, context=262144, keep_nul=False
)


@pytest.mark.parametrize(
    "context",
    [
        invoice(7),
        {"password": "hunter2", "nested": {"api_key": {"deep": ["x" * 20_000]}}},
        {"query_string": "a=1&token=abc", "query": ["token=abc"], "querystring": b"sig=zz"},
        {"body": "order 10442 shipped; " * 50_000, "after": "kept"},
        {"k" * 40_000: "value", "rows": ["x" * 10_000] * 60},
        {"nul": "a\x00b", "half": "\ud800", "big": 2**80, "when": datetime.date(2026, 1, 2)},
        {"money": decimal.Decimal("1.10"), "id": uuid.UUID(int=5), "colour": Colour.RED},
    ],
    ids=["invoice", "secrets", "query strings", "huge text", "huge key", "hostile", "types"],
)
def test_ordinary_and_huge_contexts_take_the_one_walk(context):
    """These never need the four steps: the one walk alone gives their result."""
    for keep_nul in (True, False):
        limits = dataclasses.replace(DEFAULT_LIMITS, keep_nul=keep_nul)
        assert walked_context(dict(context), limits) == four_steps(dict(context), limits)


def test_a_cycle_and_excessive_depth_are_marked_alike():
    cyclic: dict = {"name": "root"}
    cyclic["self"] = cyclic
    deep: dict = {}
    level = deep
    for _ in range(40):
        level["next"] = {}
        level = level["next"]
    assert_same_as_four_steps({"cyclic": cyclic, "deep": deep, "list": [[[[]]]]}, DEFAULT_LIMITS)


def test_keys_that_merge_once_sanitised_take_the_four_steps():
    """On PostgreSQL a NUL becomes U+2400: "a\\x00" and "a\\u2400" are then one key, whose
    value the four steps take from the later entry."""
    context = {"a\x00": "first", "a\u2400": "second"}
    with pytest.raises(KeysMerged):
        walked_context(context, DEFAULT_LIMITS)
    assert storable_context(context, DEFAULT_LIMITS) == four_steps(context, DEFAULT_LIMITS)
    assert storable_context(context, DEFAULT_LIMITS)[0] == {"a\u2400": "second"}


def test_an_unreadable_mapping_is_stored_as_such():
    stored, length = storable_context(Unreadable(), DEFAULT_LIMITS)
    assert stored == {"unreadable_context": "RuntimeError: items refused"}
    assert length is None
