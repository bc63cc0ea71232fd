"""Why a password is easy to guess, worked out offline. Pure: no Django (the validators in
password_validation.py adapt these for Django's AUTH_PASSWORD_VALIDATORS).

Each check returns a sentence for the person choosing the password, or None when the password passes it.
Length and the whole-password common list are Django's own validators; these catch what those let through:
one piece repeated, few different characters, keyboard and alphabet runs, the service's own name, and a common
password dressed up with capitals, digits, symbols or look-alike characters ("Passw0rd2026!").
"""

from collections.abc import Collection, Iterable

MIN_DIFFERENT_CHARACTERS = 5
# Rows of a UK keyboard, digits, and the alphabet: three or more neighbours in a row, either way, make a run.
SEQUENCES = ("qwertyuiop", "asdfghjkl", "zxcvbnm", "1234567890", "0123456789", "abcdefghijklmnopqrstuvwxyz")
MIN_RUN = 3
# Look-alike characters people swap in, read back as letters.
LOOKALIKES = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"}
)
MIN_COMMON_CORE = 4


def repetition_problem(password: str) -> str | None:
    """ "aaaaaaaaaaaa", "abcabcabcabc", "monkeymonkey": one short piece over and over."""
    if len(password) > 1 and (password + password).find(password, 1) < len(password):
        return "Your password is one short piece repeated. Choose something less predictable."
    return None


def variety_problem(password: str, minimum: int = MIN_DIFFERENT_CHARACTERS) -> str | None:
    if len(set(password)) < minimum:
        return f"Your password must use at least {minimum} different characters."
    return None


def _neighbours(a: str, b: str) -> int:
    """+1 when b follows a in one of the sequences, -1 when it comes before, 0 otherwise."""
    for sequence in SEQUENCES:
        i = sequence.find(a)
        if i == -1:
            continue
        if i + 1 < len(sequence) and sequence[i + 1] == b:
            return 1
        if i > 0 and sequence[i - 1] == b:
            return -1
    return 0


def sequence_share(password: str) -> float:
    """The share of characters (0 to 1) inside keyboard or alphabet runs of at least MIN_RUN characters."""
    text = password.lower()
    covered = 0
    i = 0
    while i < len(text) - 1:
        direction = _neighbours(text[i], text[i + 1])
        if direction == 0:
            i += 1
            continue
        j = i + 1
        while j < len(text) - 1 and _neighbours(text[j], text[j + 1]) == direction:
            j += 1
        run = j - i + 1
        if run >= MIN_RUN:
            covered += run
        i = j
    return covered / len(text) if text else 0.0


def sequence_problem(password: str) -> str | None:
    """ "qwertyuiop12", "abc123xyz789": mostly runs along the keyboard or the alphabet."""
    if sequence_share(password) >= 0.5:
        return "Your password is mostly a run of keys or letters in order, such as qwerty or abcd. Choose something less predictable."
    return None


def _letters_and_digits(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def name_problem(password: str, names: Iterable[str]) -> str | None:
    """The password contains one of `names` (the service's name, the organisation's), however it is spaced,
    capitalised or spelt with look-alike characters."""
    plain = _letters_and_digits(password.lower().translate(LOOKALIKES))
    for name in names:
        wanted = _letters_and_digits(name)
        if wanted and wanted in plain:
            return f"Your password must not contain the name {name}."
    return None


def _strip_ends(text: str) -> str:
    start, end = 0, len(text)
    while start < end and not text[start].isalpha():
        start += 1
    while end > start and not text[end - 1].isalpha():
        end -= 1
    return text[start:end]


def common_cores(password: str) -> set[str]:
    """The words under the disguise: lower case, digits and symbols at either end removed, look-alikes inside read
    as letters ("P@ssw0rd2026!" gives "password"); and the same with look-alikes read first, for "hell0"."""
    text = password.lower()
    first = "".join(ch for ch in _strip_ends(text).translate(LOOKALIKES) if ch.isalpha())
    second = "".join(ch for ch in _strip_ends(text.translate(LOOKALIKES)) if ch.isalpha())
    return {core for core in (first, second) if len(core) >= MIN_COMMON_CORE}


def common_problem(password: str, common: Collection[str]) -> str | None:
    """A common password (from `common`) with capitals, digits, symbols or look-alikes added, or repeated."""
    for core in common_cores(password):
        if core in common:
            return "Your password is a common password with a few changes. Choose something less common."
        half = len(core) // 2
        if len(core) % 2 == 0 and core[:half] == core[half:] and core[:half] in common:
            return "Your password is a common password repeated. Choose something less common."
    return None
