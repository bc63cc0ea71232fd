"""Shapes data about people for pages."""


def suppress_small_numbers(rows: list[dict], columns: list[str], threshold: int) -> list[dict]:
    """Replace counts from 1 to threshold-1 with None, so an aggregate cannot point to a few individuals.
    Zero stays zero: it identifies nobody."""
    result = []
    for row in rows:
        shown = dict(row)
        for column in columns:
            if 0 < shown[column] < threshold:
                shown[column] = None
        result.append(shown)
    return result
