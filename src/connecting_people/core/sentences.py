"""Small pieces of plain English built from data: lists, sentences and quotations. Pure (no Django).

Printouts and pages say things to people in whole sentences made from fields that may be empty. Each function
here returns "" for nothing to say, so that a caller can leave a sentence out rather than print half of one.
"""

from collections.abc import Iterable

_ENDS_A_SENTENCE = (".", "?", "!")


def joined(items: Iterable[str], conjunction: str = "and") -> str:
    """ "a", "a and b", "a, b and c" (no serial comma, as the NHS.UK style guide writes lists). Blank items are
    left out; "" when none is left."""
    kept = [item.strip() for item in items if item and item.strip()]
    if len(kept) <= 1:
        return "".join(kept)
    return f"{', '.join(kept[:-1])} {conjunction} {kept[-1]}"


def without_end_stop(text: str) -> str:
    """The text without the spaces and full stops at its end (so we can add our own punctuation)."""
    return text.strip().rstrip(".").rstrip()


def sentence(text: str) -> str:
    """The text with a capital first letter and a full stop at the end; "" for blank text. A question, an
    exclamation or a quotation that already ends a sentence (see `quoted`) keeps its own ending."""
    text = " ".join(text.split())
    if not text:
        return ""
    text = text[:1].upper() + text[1:]
    return text if ends_a_sentence(text) and not text.endswith("..") else f"{without_end_stop(text)}."


def ends_a_sentence(text: str) -> bool:
    """ "…here.", "…here?", "…“in their words.”" and "…“in their words”." end a sentence; "…here" does not."""
    text = text.rstrip()
    if text.endswith("”"):
        return text[:-1].endswith(_ENDS_A_SENTENCE)
    return text.endswith(_ENDS_A_SENTENCE)


def quoted(text: str) -> str:
    """A person's own words in curly quotation marks, finished as a sentence: “I like the bus.” stays as it is;
    “I like the bus” becomes “I like the bus”. (the stop outside). "" for blank text."""
    text = " ".join(text.split())
    if not text:
        return ""
    return f"“{text}”" if text.endswith(_ENDS_A_SENTENCE) else f"“{text}”."


def sentences(*parts: str) -> str:
    """Non-empty sentences, each finished with `sentence`, joined by single spaces."""
    return " ".join(sentence(part) for part in parts if part and part.strip())
