"""Guidance pages: the steps they belong to, and the plain-text format their sections are written in.

Pure: no Django. A section's text is plain text: paragraphs separated by a blank line, and lines starting with
"- " make a bulleted list. Nothing else is interpreted, so an administrator cannot put markup in a page.
"""

from dataclasses import dataclass

# The step each page belongs to, and its address under /guidance/. The slugs are fixed: pages link to them.
STEPS = {
    "assess": "assess",
    "plan": "plan",
    "do": "do",
    "review": "review",
    "moving_on": "moving-on",
    "person": "your-guide",  # the plain-English guide for the person supported
}
STEP_NAMES = {
    "assess": "assessing connections",
    "plan": "planning together",
    "do": "doing: acting on the plan",
    "review": "reviewing",
    "moving_on": "moving on",
    "person": "the guide for the person supported",
}


@dataclass(frozen=True)
class Block:
    """A paragraph (kind "paragraph", one line of text) or a bulleted list (kind "list", its items)."""

    kind: str
    lines: tuple[str, ...]


def text_blocks(text: str) -> list[Block]:
    """Split a section's plain text into paragraphs and bulleted lists, in order."""
    blocks: list[Block] = []
    for chunk in text.replace("\r\n", "\n").split("\n\n"):
        lines = [line.strip() for line in chunk.split("\n") if line.strip()]
        paragraph: list[str] = []
        bullets: list[str] = []
        for line in lines:
            if line.startswith("- "):
                if paragraph:
                    blocks.append(Block("paragraph", (" ".join(paragraph),)))
                    paragraph = []
                bullets.append(line[2:].strip())
            elif bullets and not paragraph and line and not line.startswith("- ") and _continues(line):
                bullets[-1] = f"{bullets[-1]} {line}"
            else:
                if bullets:
                    blocks.append(Block("list", tuple(bullets)))
                    bullets = []
                paragraph.append(line)
        if bullets:
            blocks.append(Block("list", tuple(bullets)))
        if paragraph:
            blocks.append(Block("paragraph", (" ".join(paragraph),)))
    return blocks


def _continues(line: str) -> bool:
    """A line under a bullet that starts in lower case carries on that bullet (a wrapped line)."""
    return line[:1].islower()
