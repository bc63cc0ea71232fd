"""What plain English printed from data must never do, for tests of the printouts' wording.

`problems(text)` lists every fault found: a word said twice in a row or nearly ("good at good with"), an empty clause
("Gives you ." or ", ,"), a sentence left hanging on a word that needs more after it ("Gives you emotional"
is caught by the callers, who know which words finish a phrase), a sentence that does not start with a capital
or does not end with a full stop.
"""

import re

# A sentence ending on one of these has lost what came after it.
HANGING = {
    "a", "an", "and", "at", "by", "for", "from", "gives", "give", "in", "of", "on", "or", "the", "to", "when",
    "with", "you", "your",
}  # fmt: skip
# Small words that may come back soon after themselves in good English ("a walk and a talk").
FUNCTION_WORDS = HANGING | {"it", "is", "are", "they", "them", "this", "that", "as", "be"}
NEAR = 3  # a word said again this close inside one sentence reads as a slip: "good at good with animals"
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+|(?<=[.?!]”)\s+|(?<=”\.)\s+")
_WORD = re.compile(r"[\w’'£-]+", re.UNICODE)


def sentences_of(text: str) -> list[str]:
    return [part for part in _SENTENCE_END.split(text.strip()) if part]


def problems(text: str) -> list[str]:
    found = []
    words = [word.casefold() for word in _WORD.findall(text)]
    for first, second in zip(words, words[1:], strict=False):
        if first == second:
            found.append(f"'{first}' twice in a row")
    for part in sentences_of(text):
        in_sentence = [word.casefold() for word in _WORD.findall(part)]
        for index, word in enumerate(in_sentence):
            if word not in FUNCTION_WORDS and word in in_sentence[index + 2 : index + NEAR + 1]:
                found.append(f"'{word}' twice close together in '{part}'")
    for pattern, what in (
        (r"\s[,.;:]", "a space before punctuation"),
        (r"[,;:]\s*[,.;:]", "an empty clause"),
        (r"\.\.", "two full stops"),
        (r"\(\s*\)", "empty brackets"),
        (r"\s{2,}", "a double space"),
        (r"“\s*”", "empty quotation marks"),
    ):
        if re.search(pattern, text):
            found.append(what)
    if text != text.strip():
        found.append("spaces at the start or end")
    for part in sentences_of(text):
        first = part.lstrip("“(")[:1]
        if not (first.isupper() or first.isdigit()):
            found.append(f"'{part}' does not start with a capital")
        if not re.search(r"([.?!]|[.?!]”|”\.)$", part):
            found.append(f"'{part}' does not end with a full stop")
        last = _WORD.findall(part)
        if last and last[-1].casefold() in HANGING:
            found.append(f"'{part}' hangs on '{last[-1]}'")
    return found
