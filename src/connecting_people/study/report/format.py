"""Numbers of the analysis result as the report shows them. Formatting only: nothing here computes a number.

Every function takes a number or None (an estimate the analysis could not make) and returns text. Negative
numbers use the minus sign (−), which screen readers read as "minus".
"""

from __future__ import annotations

import math
from collections.abc import Sequence

MINUS = "\u2212"
NOT_ESTIMATED = "not estimated"
CURRENCY_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def number(value: float | int | None, digits: int = 2, *, missing: str = NOT_ESTIMATED) -> str:
    """1.3776 -> "1.38"; -0.06 -> "−0.06"; thousands separated by commas; None -> `missing`."""
    if _missing(value):
        return missing
    text = f"{float(value):,.{digits}f}"
    if text.startswith("-"):
        # -0.00 is zero as shown: no sign.
        return text[1:] if float(text[1:].replace(",", "")) == 0 else MINUS + text[1:]
    return text


def count(value: int | None) -> str:
    """A count of people, teams or replicates: 1,234 (None -> "none")."""
    return "none" if _missing(value) else f"{int(value):,}"


def interval(low: float | None, high: float | None, digits: int = 2) -> str:
    """A confidence interval: "0.76 to 2.00" (the word "to" reads better than a dash next to minus signs)."""
    if _missing(low) or _missing(high):
        return NOT_ESTIMATED
    return f"{number(low, digits)} to {number(high, digits)}"


def pair(values: Sequence[float | None] | None, digits: int = 2) -> str:
    """A [low, high] pair from the result (incremental cost and QALY intervals) as an interval."""
    if not values or len(values) != 2:
        return NOT_ESTIMATED
    return interval(values[0], values[1], digits)


def p_value(value: float | None) -> str:
    """p as usually reported: "< 0.001" below a thousandth, else three decimals."""
    if _missing(value):
        return NOT_ESTIMATED
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def p_phrase(value: float | None) -> str:
    """p in a sentence: "p < 0.001", "p = 0.059" (or "p not estimated")."""
    text = p_value(value)
    return f"p {text}" if text.startswith("<") or text == NOT_ESTIMATED else f"p = {text}"


def percent(value: float | None, digits: int = 1) -> str:
    """A share (0 to 1) as a percentage: 0.765 -> "76.5%"."""
    if _missing(value):
        return NOT_ESTIMATED
    return f"{value * 100:.{digits}f}%"


def money(
    value: float | None, currency: str = "GBP", digits: int = 0, *, missing: str = NOT_ESTIMATED
) -> str:
    """An amount in the study's currency: "£1,140", "−£35"; a currency without a symbol is written first as
    its code ("EUR 12")."""
    if _missing(value):
        return missing
    symbol = CURRENCY_SYMBOLS.get(currency)
    amount = number(abs(value), digits)
    sign = MINUS if value < 0 and amount.strip("0.,") else ""
    return f"{sign}{symbol}{amount}" if symbol else f"{sign}{currency} {amount}"


def mean_sd(summary: dict | None, digits: int = 2) -> str:
    """Descriptives of one arm at one timepoint: "3.34 (1.70)"; "no values" when n is 0."""
    if not summary or not summary.get("n"):
        return "no values"
    if _missing(summary.get("sd")):
        return number(summary.get("mean"), digits)
    return f"{number(summary.get('mean'), digits)} ({number(summary.get('sd'), digits)})"


def sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text
