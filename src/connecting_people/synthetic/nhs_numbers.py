"""NHS numbers in the 999 range, which is reserved for testing and never issued to a real person."""

import random

WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)


def check_digit(first_nine: str) -> int | None:
    """Modulus 11 check digit for nine digits, or None when the nine digits cannot form a valid number."""
    total = sum(int(digit) * weight for digit, weight in zip(first_nine, WEIGHTS, strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def test_range_numbers(count: int, rng: random.Random) -> list[str]:
    """`count` distinct valid NHS numbers starting 999."""
    numbers: set[str] = set()
    while len(numbers) < count:
        body = f"999{rng.randrange(1_000_000):06d}"
        check = check_digit(body)
        if check is not None:
            numbers.add(f"{body}{check}")
    result = sorted(numbers)
    rng.shuffle(result)
    return result
