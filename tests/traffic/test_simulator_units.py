"""Unit properties of the simulator's building blocks: encodings, apportionment, prompt parsing."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from distillgov.traffic.simulator.encoding import (
    format_ids,
    format_ipv4,
    format_iso_utc,
    id_keys,
    keyed_permutation,
)
from distillgov.traffic.simulator.frame import segment_cumsum, segment_starts
from distillgov.traffic.simulator.plan import split_rows
from distillgov.traffic.simulator.prompts import parse_sharegpt

_YEAR_1970_TO_2100_US = st.integers(min_value=0, max_value=4_102_444_800_000_000 - 1)


@given(st.lists(_YEAR_1970_TO_2100_US, min_size=1, max_size=50))
@settings(deadline=None)  # a shared 2-core CI machine makes single examples slow now and then
def test_iso_timestamps_match_numpy_and_carry_the_zone(micros: list[int]) -> None:
    values = np.array(micros, dtype=np.int64)
    expected = np.datetime_as_string(values.astype("datetime64[us]"), unit="us")
    assert format_iso_utc(values).to_pylist() == [f"{e}Z" for e in expected]


def test_ids_are_unique_uniform_and_keyed() -> None:
    numbers = np.arange(100_000)
    ids = format_ids(numbers, id_keys(1, "account_id"), "acct_").to_pylist()
    assert len(set(ids)) == len(ids)
    assert {len(i) for i in ids} == {18}
    other_seed = format_ids(numbers, id_keys(2, "account_id"), "acct_").to_pylist()
    assert ids != other_seed
    # sequential inputs must not give ordered outputs
    assert ids != sorted(ids)


@given(st.lists(st.integers(min_value=0, max_value=2**63 - 1), min_size=1, max_size=200, unique=True))
def test_keyed_permutation_is_injective(values: list[int]) -> None:
    mixed = keyed_permutation(np.array(values, dtype=np.uint64), (7, 11))
    assert len(np.unique(mixed)) == len(values)


def test_ipv4_formatting() -> None:
    addresses = np.array([0, 1, 0x7F000001, 0xFFFFFFFF, 0xC0A80A05], dtype=np.uint32)
    assert format_ipv4(addresses).to_pylist() == [
        "0.0.0.0",
        "0.0.0.1",
        "127.0.0.1",
        "255.255.255.255",
        "192.168.10.5",
    ]


@given(
    st.integers(min_value=1, max_value=10_000_000),
    st.lists(st.floats(min_value=0.001, max_value=1.0), min_size=1, max_size=9),
)
@settings(max_examples=200)
def test_row_split_is_exact_and_feeds_every_population(total: int, weights: list[float]) -> None:
    shares = [w / sum(weights) for w in weights]
    counts = split_rows(total, shares)
    assert counts.sum() == total
    if total >= len(shares):
        assert (counts > 0).all()
    assert np.all(np.abs(counts - np.array(shares) * total) <= max(2, len(shares)))


def test_segment_helpers_restart_at_flags() -> None:
    flags = np.array([True, False, False, True, False])
    assert segment_starts(flags).tolist() == [0, 0, 0, 3, 3]
    values = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    assert segment_cumsum(values, flags).tolist() == [1.0, 3.0, 6.0, 4.0, 9.0]
    assert segment_cumsum(values, flags, inclusive=False).tolist() == [0.0, 1.0, 3.0, 0.0, 4.0]


def test_sharegpt_parsing_survives_truncation_and_orphan_answers() -> None:
    records = [
        {
            "id": "a",
            "conversations": [
                {"from": "human", "value": "first question"},
                {"from": "gpt", "value": "A1"},
                {"from": "human", "value": "follow up"},
                {"from": "gpt", "value": "A2"},
            ],
        },
        {
            "id": "b_1",
            "conversations": [
                {"from": "gpt", "value": "orphan"},
                {"from": "human", "value": "next part"},
                {"from": "gpt", "value": "B1"},
            ],
        },
        {"id": "c", "conversations": [{"from": "human", "value": "cut off"}, {"from": "gpt", "value": "C1"}]},
    ]
    text = "[\n" + ",\n".join(json.dumps(r) for r in records)
    truncated = text[: text.rindex("C1") - 3]  # the last record never closes
    table = parse_sharegpt(truncated)
    assert table.column("prompt").to_pylist() == ["first question", "follow up", "next part"]
    assert table.column("answer").to_pylist() == ["A1", "A2", "B1"]
    assert table.column("conversation").to_pylist() == [0, 0, 1]
    assert table.column("turn").to_pylist() == [0, 1, 0]
