"""Money: integer cents inside, one formatting function, one parser.

No float ever touches a price (DESIGN.md section 3): amounts are ``int`` cents and the
parser goes through `decimal.Decimal`, so "0.1 + 0.2" problems cannot occur.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Final

from proapp.domain.errors import DomainError, ErrorCode

__all__ = ["MAX_CENTS", "Cents", "format_cents", "parse_money"]

Cents = int
"""An amount of money in the smallest currency unit (US cents)."""

MAX_CENTS: Final[int] = 10**15
"""Largest magnitude `parse_money` accepts (ten trillion dollars): a typo guard."""

_SYMBOLS: Final[dict[str, str]] = {"USD": "$"}

# Optional minus, optional "$", then either grouped digits ("1,234,567") or plain digits,
# then an optional fraction of at most two digits. ".5" is allowed (people type it).
# ASCII only: \d would otherwise accept Arabic-Indic and other Unicode digits.
_MONEY_RE: Final = re.compile(
    r"^(?P<sign>-)?\$?(?P<int>\d{1,3}(?:,\d{3})+|\d*)(?:\.(?P<frac>\d*))?$", re.ASCII
)


def _require_int(value: object, name: str) -> int:
    # bool is an int subclass; True cents is a bug, not a price.
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be int cents, not {type(value).__name__}")
    return value


def format_cents(cents: int, currency: str = "USD") -> str:
    """Format integer cents for people: ``123456 -> "$1,234.56"``, ``-500 -> "-$5.00"``.

    This is the ONE money formatter of the project; views must not format money any
    other way. Currencies without a known symbol are written as ``"1,234.56 EUR"``.

    Raises:
        TypeError: if ``cents`` is not an ``int`` (floats are refused on purpose).
    """
    _require_int(cents, "cents")
    sign = "-" if cents < 0 else ""
    dollars, rest = divmod(abs(cents), 100)
    number = f"{dollars:,}.{rest:02d}"
    symbol = _SYMBOLS.get(currency.upper())
    if symbol is not None:
        return f"{sign}{symbol}{number}"
    return f"{sign}{number} {currency.upper()}"


def parse_money(text: str, *, allow_negative: bool = False) -> Cents:
    """Parse a typed amount into integer cents.

    Accepts ``"12"``, ``"12.3"``, ``"12.34"``, ``".5"``, ``"$1,234.56"`` and, when
    ``allow_negative`` is true, a leading minus (``"-$5.00"``). Surrounding whitespace is
    ignored. Anything else - more than two decimals, bad digit grouping, letters, an empty
    string, amounts above `MAX_CENTS` - is refused.

    Raises:
        TypeError: if ``text`` is not a ``str`` (a float must never reach this point).
        DomainError: code ``invalid`` with a message the pro can act on.
    """
    if not isinstance(text, str):
        raise TypeError(f"parse_money expects str, not {type(text).__name__}")
    raw = text.strip()
    match = _MONEY_RE.match(raw)
    if match is None or (match["int"] == "" and not match["frac"]):
        raise DomainError(
            ErrorCode.INVALID,
            f"'{text}' is not an amount. Type a number like 12, 12.50 or 1,234.56.",
            {"value": text},
        )
    frac = match["frac"]
    if frac is not None and len(frac) > 2:
        raise DomainError(
            ErrorCode.INVALID,
            f"'{text}' has more than two decimals. Round it to whole cents, like 12.35.",
            {"value": text},
        )
    if frac == "":
        raise DomainError(
            ErrorCode.INVALID,
            f"'{text}' ends with a dot. Type the cents too, like 12.00, or drop the dot.",
            {"value": text},
        )
    if match["sign"] and not allow_negative:
        raise DomainError(
            ErrorCode.INVALID,
            f"'{text}' is negative. Type an amount of zero or more.",
            {"value": text},
        )
    integer_part = (match["int"] or "0").replace(",", "")
    if len(integer_part) > 16:  # cheap guard before Decimal sees a huge string
        raise _too_large(text)
    try:
        amount = Decimal(f"{integer_part}.{frac or '0'}")
    except InvalidOperation as exc:  # pragma: no cover - the regex already guarantees digits
        raise DomainError(
            ErrorCode.INVALID, f"'{text}' is not an amount.", {"value": text}
        ) from exc
    cents = int(amount.scaleb(2))
    if cents > MAX_CENTS:
        raise _too_large(text)
    return -cents if match["sign"] else cents


def _too_large(text: str) -> DomainError:
    return DomainError(
        ErrorCode.INVALID,
        f"'{text}' is too large to be a price. Check the number of digits.",
        {"value": text, "max_cents": MAX_CENTS},
    )
