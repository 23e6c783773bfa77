"""Quantities parse to the same numbers and print the same strings as on Kubernetes."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apimachinery.quantity import (
    Format,
    Quantity,
    cpu_millis,
    format_quantity,
    memory_bytes,
    milli_value,
    parse_quantity,
    value,
)

F = Fraction
KI, MI, GI = 2**10, 2**20, 2**30

# (input, exact amount, format it keeps) - from resource.Quantity's own tests.
PARSED = [
    ("0", F(0), Format.DECIMAL_SI),
    ("0n", F(0), Format.DECIMAL_SI),
    ("0Ki", F(0), Format.BINARY_SI),
    ("1", F(1), Format.DECIMAL_SI),
    ("1Ki", F(KI), Format.BINARY_SI),
    ("7Mi", F(7 * MI), Format.BINARY_SI),
    ("6Gi", F(6 * GI), Format.BINARY_SI),
    ("3Ei", F(3 * 2**60), Format.BINARY_SI),
    ("5n", F(5, 10**9), Format.DECIMAL_SI),
    ("4u", F(4, 10**6), Format.DECIMAL_SI),
    ("3m", F(3, 1000), Format.DECIMAL_SI),
    ("50k", F(50000), Format.DECIMAL_SI),
    ("40T", F(40 * 10**12), Format.DECIMAL_SI),
    ("1E", F(10**18), Format.DECIMAL_SI),
    ("1E-3", F(1, 1000), Format.DECIMAL_EXPONENT),
    ("1e3", F(1000), Format.DECIMAL_EXPONENT),
    ("1.3E+6", F(1300000), Format.DECIMAL_EXPONENT),
    ("0.5e-2", F(5, 1000), Format.DECIMAL_EXPONENT),
    ("100.035k", F(100035), Format.DECIMAL_SI),
    ("0.0005k", F(1, 2), Format.DECIMAL_SI),
    ("0.5", F(1, 2), Format.DECIMAL_SI),
    (".5", F(1, 2), Format.DECIMAL_SI),
    ("+.5", F(1, 2), Format.DECIMAL_SI),
    ("-.5", F(-1, 2), Format.DECIMAL_SI),
    ("-1.5Gi", F(-3 * GI, 2), Format.BINARY_SI),
    ("9.01", F(901, 100), Format.DECIMAL_SI),
    ("1.", F(1), Format.DECIMAL_SI),
    ("1.G", F(10**9), Format.DECIMAL_SI),
    # Rounded up to the nano unit, away from zero.
    ("3.001n", F(4, 10**9), Format.DECIMAL_SI),
    ("1.1E-9", F(2, 10**9), Format.DECIMAL_EXPONENT),
    ("0.0000000001", F(1, 10**9), Format.DECIMAL_SI),
    ("0.00000012345", F(124, 10**9), Format.DECIMAL_SI),
    ("-0.0000000001", F(-1, 10**9), Format.DECIMAL_SI),
    # Binary values are capped at the largest int64; below one they turn decimal.
    ("9Ei", F(2**63 - 1), Format.BINARY_SI),
    ("9223372036854775807Ki", F(2**63 - 1), Format.BINARY_SI),
    ("0.5Mi", F(MI, 2), Format.BINARY_SI),
    ("0.000000000001Ki", F(2, 10**9), Format.DECIMAL_SI),
    # Odd corners Kubernetes accepts as zero.
    (".", F(0), Format.DECIMAL_SI),
    ("-", F(0), Format.DECIMAL_SI),
    ("00", F(0), Format.DECIMAL_SI),
]


@pytest.mark.parametrize(("text", "amount", "fmt"), PARSED)
def test_a_quantity_parses_to_the_exact_amount_and_keeps_its_format(
        text: str, amount: Fraction, fmt: Format) -> None:
    q = Quantity.parse(text)
    assert (q.amount, q.format) == (amount, fmt)
    assert parse_quantity(text) == amount


CANONICAL = [
    ("1.5Gi", "1536Mi"),
    ("1000m", "1"),
    ("0.1", "100m"),
    ("1024Mi", "1Gi"),
    ("1000M", "1G"),
    ("1Ki", "1Ki"),
    (".001Ki", "1024m"),
    (".000001Ki", "1024u"),
    (".000000001Ki", "1024n"),
    (".000000000001Ki", "2n"),
    ("300Mi", "300Mi"),
    ("307200Ki", "300Mi"),
    ("1025", "1025"),
    ("1080m", "1080m"),
    ("1.08", "1080m"),
    ("0.001T", "1G"),
    ("1234567M", "1234567M"),
    ("3000", "3k"),
    ("1e9", "1e9"),
    ("1000e-12", "1e-9"),
    ("80e-3", "80e-3"),
    (".001e12", "1e9"),
    ("1.5e3", "1500"),
    ("10E", "10E"),
    ("10000000000000000000000m", "10E"),
    ("1.0000000000000000001E", "1000000000000000000100m"),
    ("1.000000000000000001E", "1000000000000000001"),
    ("1000E", "1000E"),
    ("9Ei", "9223372036854775807"),
    ("0.5Mi", "512Ki"),
    ("-1.5Gi", "-1536Mi"),
    ("-0.1", "-100m"),
    ("-1000m", "-1"),
    ("5Ki", "5Ki"),
    ("1000Ki", "1000Ki"),
    ("500m", "500m"),
    ("0", "0"),
    ("0Gi", "0"),
]


@pytest.mark.parametrize(("text", "canonical"), CANONICAL)
def test_a_quantity_prints_in_the_canonical_form(text: str, canonical: str) -> None:
    assert format_quantity(text) == canonical
    assert str(Quantity.parse(text)) == canonical


def test_a_bare_number_prints_in_the_format_asked_for() -> None:
    assert format_quantity(F(1, 10)) == "100m"
    assert format_quantity(3 * GI, Format.BINARY_SI) == "3Gi"
    assert format_quantity(1500, Format.BINARY_SI) == "1500"
    assert format_quantity(2 * 10**9, Format.DECIMAL_EXPONENT) == "2e9"


@pytest.mark.parametrize("text", [
    "", "1.1.M", "1+1.0M", "0.1mi", "0.1am", "aoeu", ".5i", "1i", "-3.01e-",
    " 1", "1 ", "1K", "1e", "1Mi5", "1e3e3", "--1", "1e99999",
])
def test_garbage_is_rejected_with_a_clear_error(text: str) -> None:
    with pytest.raises(ValueError, match=r"quantit|suffix|exponent"):
        Quantity.parse(text)


def test_a_non_string_is_rejected() -> None:
    with pytest.raises(ValueError, match="must be a string"):
        Quantity.parse(1.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(("text", "millis", "whole"), [
    ("100m", 100, 1),
    ("1", 1000, 1),
    ("1.5", 1500, 2),
    ("0.0001", 1, 1),
    ("1n", 1, 1),
    ("2Gi", 2 * GI * 1000, 2 * GI),
    ("-1.5", -1500, -2),
])
def test_milli_value_and_value_round_up_away_from_zero(text: str, millis: int,
                                                       whole: int) -> None:
    assert milli_value(text) == millis
    assert value(text) == whole


def test_cpu_and_memory_helpers_give_the_units_the_kubelet_uses() -> None:
    assert cpu_millis("250m") == 250
    assert cpu_millis("2") == 2000
    assert memory_bytes("128Mi") == 128 * MI
    assert memory_bytes("1G") == 10**9
    assert memory_bytes(Quantity.parse("1Ki")) == 1024


def test_quantities_compare_by_amount_whatever_their_spelling() -> None:
    assert Quantity.parse("1Gi") == Quantity.parse("1024Mi")
    assert Quantity.parse("1000m") == 1
    assert Quantity.parse("500m") < Quantity.parse("1")
    assert Quantity.parse("1Ki") > Quantity.parse("1k")
    assert len({Quantity.parse("1"), Quantity.parse("1000m")}) == 1
    assert Quantity.parse("1") != "1"


def test_sums_keep_the_format_of_the_left_side() -> None:
    total = Quantity.parse("1Gi") + Quantity.parse("512Mi")
    assert str(total) == "1536Mi"
    assert str(Quantity.parse("0") + Quantity.parse("512Mi")) == "512Mi"
    assert str(Quantity.parse("1") - Quantity.parse("250m")) == "750m"
    assert str(-Quantity.parse("2Ki")) == "-2Ki"


# --- properties ------------------------------------------------------------------------

_SUFFIXES = ["", "n", "u", "m", "k", "M", "G", "T", "P", "E",
             "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "e3", "E-3", "e+6", "e0", "e-9", "E12"]


@st.composite
def quantity_strings(draw: st.DrawFn) -> str:
    sign = draw(st.sampled_from(["", "+", "-"]))
    whole = draw(st.integers(0, 10**7))
    fraction = draw(st.one_of(st.just(""), st.from_regex(r"\.[0-9]{0,6}", fullmatch=True)))
    return f"{sign}{whole}{fraction}{draw(st.sampled_from(_SUFFIXES))}"


@given(quantity_strings())
def test_formatting_keeps_the_value(text: str) -> None:
    assert parse_quantity(format_quantity(text)) == parse_quantity(text)


@given(quantity_strings())
def test_the_canonical_form_is_a_fixed_point(text: str) -> None:
    canonical = format_quantity(text)
    assert format_quantity(canonical) == canonical


@given(quantity_strings(), quantity_strings())
def test_ordering_agrees_with_the_amounts(a: str, b: str) -> None:
    qa, qb = Quantity.parse(a), Quantity.parse(b)
    assert (qa < qb) == (qa.amount < qb.amount)
    assert (qa == qb) == (qa.amount == qb.amount)
    assert (Quantity.parse(format_quantity(a)) < Quantity.parse(format_quantity(b))) == (qa < qb)


@given(st.integers(-(10**12), 10**12), st.integers(0, 9))
def test_a_decimal_amount_prints_with_a_suffix_that_reads_back(mantissa: int,
                                                               places: int) -> None:
    amount = F(mantissa, 10**places)
    assert parse_quantity(format_quantity(amount)) == amount
