from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proapp.domain import MAX_CENTS, DomainError, format_cents, parse_money


@pytest.mark.parametrize(
    ("cents", "text"),
    [
        (0, "$0.00"),
        (5, "$0.05"),
        (100, "$1.00"),
        (123_456, "$1,234.56"),
        (-500, "-$5.00"),
        (-1, "-$0.01"),
        (100_000_000, "$1,000,000.00"),
    ],
)
def test_format_cents(cents: int, text: str) -> None:
    assert format_cents(cents) == text


def test_format_cents_other_currency_uses_the_code() -> None:
    assert format_cents(123_456, "eur") == "1,234.56 EUR"


@pytest.mark.parametrize("bad", [1.5, 1.0, True, "100", None])
def test_format_cents_refuses_non_int(bad: Any) -> None:
    with pytest.raises(TypeError):
        format_cents(bad)


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("12", 1200),
        ("12.3", 1230),
        ("12.34", 1234),
        ("$1,234.56", 123_456),
        ("  $7 ", 700),
        (".5", 50),
        ("0", 0),
        ("0.01", 1),
        ("1,000,000", 100_000_000),
    ],
)
def test_parse_money_accepts(text: str, cents: int) -> None:
    assert parse_money(text) == cents


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "abc",
        "12.345",
        "1.2.3",
        "12,34",
        "1,2345",
        "$",
        ".",
        "12.",
        "1e3",
        "--5",
        "$$5",
        "5$",
        "NaN",
        "Infinity",
        "12 34",
        "١٢",
    ],
)
def test_parse_money_rejects_garbage(text: str) -> None:
    with pytest.raises(DomainError) as info:
        parse_money(text)
    assert info.value.code == "invalid"
    assert info.value.message  # a plain-words explanation exists


def test_parse_money_rejects_negatives_unless_allowed() -> None:
    with pytest.raises(DomainError) as info:
        parse_money("-5")
    assert "negative" in info.value.message
    assert parse_money("-5", allow_negative=True) == -500
    assert parse_money("-$5.00", allow_negative=True) == -500


def test_parse_money_refuses_absurd_amounts() -> None:
    with pytest.raises(DomainError):
        parse_money("9" * 40)
    with pytest.raises(DomainError):
        parse_money(str(MAX_CENTS // 100 + 1))


@pytest.mark.parametrize("bad", [12.5, 12.0, 12, None, b"12"])
def test_parse_money_refuses_non_str(bad: Any) -> None:
    with pytest.raises(TypeError):
        parse_money(bad)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=-MAX_CENTS, max_value=MAX_CENTS))
def test_parse_inverts_format(cents: int) -> None:
    assert parse_money(format_cents(cents), allow_negative=True) == cents


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=1, max_value=MAX_CENTS))
def test_negative_format_is_minus_then_positive(cents: int) -> None:
    assert format_cents(-cents) == "-" + format_cents(cents)
    assert format_cents(cents).startswith("$")
    assert format_cents(cents)[-3] == "."


@settings(max_examples=100, deadline=None)
@given(st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False))
def test_parse_agrees_with_decimal(amount: Any) -> None:
    assert parse_money(str(amount)) == int(amount * 100)
