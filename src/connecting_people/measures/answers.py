"""Checking answers against an instrument's allowed codes, for one response or a whole array of responses.

Answers are numbers in the definition's item order; a missing answer is ``None`` / empty text (one response)
or NaN (arrays).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from .definitions import Instrument, Item
from .errors import AnswerError

Answer = int | float | None


def check_answers(instrument: Instrument, answers: Sequence[object] | Mapping[str, object]) -> list[Answer]:
    """Check one response and return it as plain numbers (``None`` where missing), in item order.

    `answers` is a sequence in the definition's item order (for a repeated item such as GAS goals, any count
    from the definition's ``repeat.min`` to ``repeat.max``), or a mapping from item id to answer (absent ids are
    missing). Each answer may be a number, numeric text, or ``None``/``""``/NaN for missing.

    Raises AnswerError(item_id, value, allowed) for an answer that is not allowed, and
    AnswerError("answers", count, expected) for the wrong number of answers or an unknown item id.
    """
    if isinstance(answers, Mapping):
        values = _from_mapping(instrument, answers)
    elif isinstance(answers, str | bytes) or not isinstance(answers, Sequence):
        raise AnswerError(
            "answers", type(answers).__name__, "a list of answers or a mapping of item id to answer"
        )
    else:
        values = list(answers)
    _check_count(instrument, len(values))
    ids = instrument.answer_ids(len(values))
    out: list[Answer] = []
    for position, (item_id, value) in enumerate(zip(ids, values, strict=True)):
        item = instrument.answer_item(position)
        out.append(_one(item_id, item, value))
    return out


def as_answer_array(instrument: Instrument, answers: object) -> np.ndarray:
    """Return `answers` as a 2-D float64 array (rows × answer positions), checking the column count."""
    try:
        array = np.asarray(answers, dtype=np.float64)
    except (TypeError, ValueError):
        raise AnswerError(
            "answers", "values that are not numbers", "numbers, with NaN for a missing answer"
        ) from None
    if array.ndim != 2:
        raise AnswerError(
            "answers", f"an array of {array.ndim} dimension(s)", "a 2-D array: one row per response"
        )
    _check_count(instrument, array.shape[1])
    return array


def invalid_cells(instrument: Instrument, answers: np.ndarray) -> np.ndarray:
    """Boolean array shaped like `answers`: True where a present (non-NaN) answer is not an allowed code."""
    bad = np.zeros(answers.shape, dtype=bool)
    for item, columns in _column_groups(instrument, answers.shape[1]):
        block = answers[:, columns]
        bad[:, columns] = ~(_allowed(item, block) | np.isnan(block))
    return bad


def check_batch(instrument: Instrument, answers: np.ndarray, *, first_row: int = 0) -> None:
    """Raise AnswerError (with the 0-based row, counted from `first_row`) for the first answer not allowed.

    Checks each group of items with the same codes by its smallest and largest answer and whether all are
    whole numbers (three reductions, no per-cell masks); only when that finds a problem does it look cell by
    cell for the first bad answer, row by row.
    """
    if _plausible(instrument, answers):
        return
    bad = invalid_cells(instrument, answers)
    if bad.any():
        row, column = divmod(int(np.argmax(bad.ravel())), answers.shape[1])
        item = instrument.answer_item(column)
        raise AnswerError(
            instrument.answer_ids(answers.shape[1])[column],
            _plain(answers[row, column]),
            item.allowed_text(),
            row=first_row + row,
        )


# ---------------------------------------------------------------------------------------------------- internals


def _column_groups(instrument: Instrument, n_columns: int) -> list[tuple[Item, slice | list[int]]]:
    """Answer columns grouped by identical allowed codes; a run of neighbouring columns becomes a slice."""
    groups: dict[object, list[int]] = {}
    first_item: dict[object, Item] = {}
    for column in range(n_columns):
        item = instrument.answer_item(column)
        key = item.range if item.range is not None else item.code_values
        groups.setdefault(key, []).append(column)
        first_item.setdefault(key, item)
    out: list[tuple[Item, slice | list[int]]] = []
    for key, columns in groups.items():
        run = columns == list(range(columns[0], columns[-1] + 1))
        out.append((first_item[key], slice(columns[0], columns[-1] + 1) if run else columns))
    return out


def _bounds(item: Item) -> tuple[float, float, bool]:
    if item.range is not None:
        return item.range.minimum, item.range.maximum, item.range.whole_numbers
    values = item.code_values
    return min(values), max(values), True


def _plausible(instrument: Instrument, answers: np.ndarray) -> bool:
    """True when every present answer is allowed, judged column by column from reductions that skip NaN.

    False means "look closer", not necessarily "invalid" (an all-missing column also gives False).
    """
    if answers.size == 0:
        return True
    n_columns = answers.shape[1]
    items = [instrument.answer_item(column) for column in range(n_columns)]
    if any(
        item.range is None and len(item.code_values) != max(item.code_values) - min(item.code_values) + 1
        for item in items
    ):
        return False  # codes with gaps need the cell-by-cell look-up
    bounds = np.array([_bounds(item) for item in items], dtype=np.float64)
    low, high, whole = bounds[:, 0], bounds[:, 1], bounds[:, 2]
    if np.all(low == low[0]) and np.all(high == high[0]):
        scaled, low_end, high_end = answers, low[0], high[0]
    else:  # bring every column to 0..1 so that one reduction over the block checks all of them
        scaled, low_end, high_end = (answers - low) / np.where(high > low, high - low, 1.0), 0.0, 1.0
    # Whole reductions (axis=None) over a contiguous block are far faster than per-column ones.
    if not (np.fmin.reduce(scaled, axis=None) >= low_end and np.fmax.reduce(scaled, axis=None) <= high_end):
        return False
    if whole.any():
        fraction = answers - np.floor(answers)  # NaN for missing answers, which fmax skips
        if not whole.all():
            fraction *= whole
        return bool(np.fmax.reduce(fraction, axis=None) == 0)
    return True


def _allowed(item: Item, block: np.ndarray) -> np.ndarray:
    low, high, whole = _bounds(item)
    ok = (block >= low) & (block <= high)
    if whole:
        ok &= block == np.floor(block)
    if item.range is None and len(item.code_values) != high - low + 1:  # codes with gaps: look each one up
        values = np.array(item.code_values, dtype=np.int64)
        table = np.zeros(int(high - low) + 1, dtype=bool)
        table[values - int(low)] = True
        offsets = np.where(ok, block - low, 0).astype(np.intp)
        ok &= table[offsets]
    return ok


def _check_count(instrument: Instrument, count: int) -> None:
    if instrument.repeat is not None:
        low, high = instrument.repeat.minimum, instrument.repeat.maximum
        if not low <= count <= high:
            raise AnswerError("answers", count, f"from {low} to {high} answers ({instrument.items[0].label})")
    elif count != len(instrument.items):
        raise AnswerError(
            "answers",
            count,
            f"{len(instrument.items)}, one per item in order: {', '.join(instrument.item_ids)}",
        )


def _from_mapping(instrument: Instrument, answers: Mapping[str, object]) -> list[object]:
    if instrument.repeat is not None:
        possible = instrument.answer_ids()
        unknown = [key for key in answers if key not in possible]
        if unknown:
            raise AnswerError(
                "answers", f"unknown item {unknown[0]!r}", f"answers named {possible[0]} … {possible[-1]}"
            )
        count = max((possible.index(key) + 1 for key in answers), default=0)
        return [answers.get(item_id) for item_id in possible[:count]]
    unknown = [key for key in answers if key not in instrument.item_ids]
    if unknown:
        raise AnswerError(
            "answers", f"unknown item {unknown[0]!r}", f"answers named {', '.join(instrument.item_ids)}"
        )
    return [answers.get(item_id) for item_id in instrument.item_ids]


def _one(item_id: str, item: Item, value: object) -> Answer:
    if value is None:
        return None
    if isinstance(value, bool):
        raise AnswerError(item_id, value, item.allowed_text())
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            raise AnswerError(item_id, value, item.allowed_text()) from None
    elif isinstance(value, int | float | np.integer | np.floating):
        number = float(value)
        if math.isnan(number):
            return None
    else:
        raise AnswerError(item_id, value, item.allowed_text())
    if math.isnan(number) or not item.allows(number):
        raise AnswerError(item_id, value, item.allowed_text())
    return _plain(number)


def _plain(number: float) -> int | float:
    number = float(number)
    return int(number) if number.is_integer() else number
