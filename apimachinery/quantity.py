"""Resource quantities (``500m``, ``1.5Gi``, ``1e3``) exactly as Kubernetes reads them.

The scheduler adds up container requests, the kubelet turns limits into cgroup values
and quota sums usage, so a quantity must mean the same number here as in
``k8s.io/apimachinery/pkg/api/resource``: parsed exactly (a ``Fraction``, never a
float), rounded up to the nano unit, binary values capped at 2^63-1, and printed in
the canonical form the apiserver returns (``1.5Gi`` -> ``1536Mi``, ``0.1`` ->
``100m``), because clients compare what they sent with what they read back.

A quantity remembers its format (decimal SI, binary SI or decimal exponent), taken
from the suffix it was written with, since the canonical string depends on it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from functools import lru_cache, total_ordering

__all__ = [
    "Format",
    "Quantity",
    "cpu_millis",
    "format_quantity",
    "memory_bytes",
    "milli_value",
    "parse_quantity",
    "value",
]


class Format(StrEnum):
    DECIMAL_EXPONENT = "DecimalExponent"  # 12e6
    BINARY_SI = "BinarySI"  # 12Mi
    DECIMAL_SI = "DecimalSI"  # 12M


_DECIMAL_SUFFIXES = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12,
                     "P": 15, "E": 18}
_BINARY_SUFFIXES = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL_BY_EXPONENT = {e: s for s, e in _DECIMAL_SUFFIXES.items()}
_BINARY_BY_POWER = {0: "", **{p // 10: s for s, p in _BINARY_SUFFIXES.items()}}
_SUFFIX_CHARS = frozenset("eEinumkKMGTP")
_DIGITS = frozenset("0123456789")
_NANO = 10**9
_MAX_BINARY = Fraction(2**63 - 1)
# Go keeps the exponent in an int32; far smaller bounds already mean nonsense, and
# keeping them small stops "1e999999999" from costing gigabytes as an exact integer.
_MAX_EXPONENT = 1000
_FORMAT_HELP = ("quantities must match the regular expression "
                "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")

@total_ordering
@dataclass(frozen=True, eq=False)
class Quantity:
    """An exact amount and the format it prints in."""

    amount: Fraction
    format: Format = Format.DECIMAL_SI

    @classmethod
    def parse(cls, text: str) -> Quantity:
        """Read a quantity string; raises ValueError saying what is wrong."""
        if not isinstance(text, str):
            raise ValueError(f"quantity must be a string, not {type(text).__name__}")
        return _parse_cached(text) if cls is Quantity else cls._parse(text)

    @classmethod
    def _parse(cls, text: str) -> Quantity:
        if not text:
            raise ValueError(f"{_FORMAT_HELP}: got an empty string")
        if text == "0":
            return _ZERO
        positive, digits, fraction, suffix = _split(text)
        base, exponent, fmt = _interpret_suffix(text, suffix)
        amount = _exact(digits, fraction) * Fraction(base) ** exponent
        if not positive:
            amount = -amount
        return cls._normalized(amount, fmt)

    @classmethod
    def _normalized(cls, amount: Fraction, fmt: Format) -> Quantity:
        amount = _round_up_to_nano(amount)
        if fmt is Format.BINARY_SI:
            if abs(amount) > _MAX_BINARY:
                amount = _MAX_BINARY if amount > 0 else -_MAX_BINARY
            if 0 < abs(amount) < 1:
                fmt = Format.DECIMAL_SI
        return cls(amount, fmt)

    @classmethod
    def of(cls, number: Quantity | Fraction | int | str,
           fmt: Format = Format.DECIMAL_SI) -> Quantity:
        """A quantity from a string (parsed), or a number in the given format."""
        if isinstance(number, Quantity):
            return number
        if isinstance(number, str):
            return cls.parse(number)
        if isinstance(number, bool) or not isinstance(number, int | Fraction):
            raise ValueError(f"not a quantity: {number!r}")
        return cls._normalized(Fraction(number), fmt)

    def __str__(self) -> str:
        return _canonical(self.amount, self.format)

    def __repr__(self) -> str:
        return f"Quantity({str(self)!r})"

    def milli_value(self) -> int:
        """The amount in thousandths, rounded up away from zero (``MilliValue``)."""
        return _round_away(self.amount * 1000)

    def value(self) -> int:
        """The amount rounded up away from zero to a whole number (``Value``)."""
        return _round_away(self.amount)

    def is_zero(self) -> bool:
        return self.amount == 0

    def __eq__(self, other: object) -> bool:
        amount = _amount_of(other)
        return NotImplemented if amount is None else self.amount == amount

    def __lt__(self, other: object) -> bool:
        amount = _amount_of(other)
        if amount is None:
            return NotImplemented
        return self.amount < amount

    def __hash__(self) -> int:
        return hash(self.amount)

    def __add__(self, other: Quantity) -> Quantity:
        # Like Kubernetes, a sum keeps the left format unless the left side is zero.
        fmt = other.format if self.amount == 0 else self.format
        return Quantity(self.amount + other.amount, fmt)

    def __sub__(self, other: Quantity) -> Quantity:
        fmt = other.format if self.amount == 0 else self.format
        return Quantity(self.amount - other.amount, fmt)

    def __neg__(self) -> Quantity:
        return Quantity(-self.amount, self.format)


_ZERO = Quantity(Fraction(0), Format.DECIMAL_SI)


def _amount_of(other: object) -> Fraction | None:
    if isinstance(other, Quantity):
        return other.amount
    if isinstance(other, int | Fraction) and not isinstance(other, bool):
        return Fraction(other)
    return None


def _split(text: str) -> tuple[bool, str, str, str]:
    """Sign, integer digits, fraction digits and suffix (``parseQuantityString``)."""
    pos, end = 0, len(text)
    positive = True
    if text[0] in "+-":
        positive = text[0] == "+"
        pos = 1
    while pos < end and text[pos] == "0":
        pos += 1
    if pos >= end:
        return positive, "0", "", ""
    start = pos
    while pos < end and text[pos] in _DIGITS:
        pos += 1
    digits = text[start:pos] or "0"
    fraction = ""
    if pos < end and text[pos] == ".":
        pos += 1
        start = pos
        while pos < end and text[pos] in _DIGITS:
            pos += 1
        fraction = text[start:pos]
    suffix_start = pos
    while pos < end and text[pos] in _SUFFIX_CHARS:
        pos += 1
    if pos < end and text[pos] in "+-":
        pos += 1
    while pos < end and text[pos] in _DIGITS:
        pos += 1
    if pos < end:
        raise ValueError(f"{_FORMAT_HELP}: got {text!r}")
    return positive, digits, fraction, text[suffix_start:]


def _interpret_suffix(text: str, suffix: str) -> tuple[int, int, Format]:
    if suffix in _DECIMAL_SUFFIXES:
        return 10, _DECIMAL_SUFFIXES[suffix], Format.DECIMAL_SI
    if suffix in _BINARY_SUFFIXES:
        return 2, _BINARY_SUFFIXES[suffix], Format.BINARY_SI
    if len(suffix) > 1 and suffix[0] in "eE":
        exponent = suffix[1:]
        if exponent[0] in "+-":
            digits = exponent[1:]
        else:
            digits = exponent
        if digits and all(c in _DIGITS for c in digits):
            value = int(exponent)
            if abs(value) > _MAX_EXPONENT:
                raise ValueError(f"quantity exponent out of range in {text!r}")
            return 10, value, Format.DECIMAL_EXPONENT
    raise ValueError(f"unable to parse quantity's suffix {suffix!r} in {text!r}")


def _exact(digits: str, fraction: str) -> Fraction:
    try:
        return Fraction(int(digits + fraction), 10 ** len(fraction))
    except ValueError:  # more digits than Python converts by default
        raise ValueError("unable to parse numeric part of quantity: too many digits") from None


def _round_away(amount: Fraction) -> int:
    return math.ceil(amount) if amount >= 0 else math.floor(amount)


def _round_up_to_nano(amount: Fraction) -> Fraction:
    """Kubernetes keeps nine decimal places and rounds the rest away from zero."""
    if (amount * _NANO).denominator == 1:
        return amount
    return Fraction(_round_away(amount * _NANO), _NANO)


def _decimal_parts(amount: Fraction) -> tuple[int, int]:
    """``amount == mantissa * 10**exponent`` with no trailing zeros in mantissa."""
    if amount.denominator == 1:
        mantissa, exponent = amount.numerator, 0
    else:
        mantissa, exponent = int(amount * _NANO), -9
    while mantissa % 10 == 0:
        mantissa //= 10
        exponent += 1
    return mantissa, exponent


def _canonical(amount: Fraction, fmt: Format) -> str:
    if amount == 0:
        return "0"
    amount = _round_up_to_nano(amount)
    if fmt is Format.BINARY_SI and (abs(amount) < 1024 or amount.denominator != 1):
        fmt = Format.DECIMAL_SI
    if fmt is Format.BINARY_SI:
        return _canonical_binary(amount.numerator)
    mantissa, exponent = _decimal_parts(amount)
    shift = exponent % 3  # floor the exponent to a multiple of three
    mantissa, exponent = mantissa * 10**shift, exponent - shift
    if fmt is Format.DECIMAL_EXPONENT:
        return f"{mantissa}e{exponent}" if exponent else str(mantissa)
    if exponent > 18:
        # Past "E" Go prints no suffix at all (a bug: 1000E reads back as 1); keep
        # the value by staying at E.
        mantissa, exponent = mantissa * 10 ** (exponent - 18), 18
    return f"{mantissa}{_DECIMAL_BY_EXPONENT[exponent]}"


def _canonical_binary(number: int) -> str:
    magnitude, power = abs(number), 0
    while magnitude % 1024 == 0 and power < 6:
        magnitude //= 1024
        power += 1
    sign = "-" if number < 0 else ""
    return f"{sign}{magnitude}{_BINARY_BY_POWER[power]}"


@lru_cache(maxsize=4096)
def _parse_cached(text: str) -> Quantity:
    # Every pod carries the same few strings ("100m", "64Mi"); parsing them with exact
    # fractions each time was half of a pod's validation. Quantities are immutable.
    return Quantity._parse(text)


def parse_quantity(text: str) -> Fraction:
    """The exact amount a quantity string stands for."""
    return Quantity.parse(text).amount


def format_quantity(number: Quantity | Fraction | int | str,
                    fmt: Format = Format.DECIMAL_SI) -> str:
    """The canonical string: ``"1.5Gi"`` -> ``"1536Mi"``, ``Fraction(1, 10)`` -> ``"100m"``.

    Strings and quantities keep their own format; bare numbers use ``fmt``.
    """
    return str(Quantity.of(number, fmt))


def milli_value(number: Quantity | Fraction | int | str) -> int:
    return Quantity.of(number).milli_value()


def value(number: Quantity | Fraction | int | str) -> int:
    return Quantity.of(number).value()


def cpu_millis(number: Quantity | Fraction | int | str) -> int:
    """CPU in millicores, as the scheduler and the kubelet count it."""
    return milli_value(number)


def memory_bytes(number: Quantity | Fraction | int | str) -> int:
    """Memory (or storage) in bytes, rounded up."""
    return value(number)
