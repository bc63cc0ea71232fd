"""Text and web addresses as publishers write them, made fit to keep (pure: no Django).

    plain_text("<p>If you&rsquo;re over 60</p><ul><li>Tea</li><li>Chat</li></ul>")
        → "If you’re over 60\n\n• Tea\n• Chat"
    web_address("www.example.org")     → ("https://www.example.org", None)
    web_address("help@example.org")    → ("", "is an email address, not a web address")

HTML is read with the standard library's HTML parser (html.parser), a tokeniser that follows the HTML5 rules for
tags, attributes, comments and character references. We keep only its text: no tag, attribute or comment of
the source survives, so nothing a publisher writes can come out as markup on our pages (which escape what they
show anyway). A sanitiser such as nh3 would give us cleaned HTML, which we would then still have to turn into
text; we never show a publisher's HTML, so the parser alone is what we need.
"""

import html
from html.parser import HTMLParser
from urllib.parse import urlsplit

# Tags whose start or end breaks the text: blocks become paragraphs, <br> a line break.
BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "fieldset", "figcaption",
        "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "main", "nav", "ol",
        "p", "pre", "section", "table", "tr", "ul",
    }
)  # fmt: skip
SKIPPED = frozenset({"script", "style", "template", "head", "title", "noscript", "iframe", "object"})
LINE = "\n"
PARAGRAPH = "\n\n"


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.tags = 0
        self._skipping: list[str] = []

    def _break(self, kind: str) -> None:
        while self.parts and self.parts[-1] not in (LINE, PARAGRAPH) and not self.parts[-1].strip():
            self.parts.pop()  # spaces before a break show nothing
        if self.parts and self.parts[-1] in (LINE, PARAGRAPH):
            if kind == PARAGRAPH:
                self.parts[-1] = PARAGRAPH
            return
        self.parts.append(kind)

    def handle_starttag(self, tag, attrs):
        self.tags += 1
        if tag in SKIPPED:
            self._skipping.append(tag)
        elif tag == "br":
            self._break(LINE)
        elif tag == "li":
            self._break(LINE)
            self.parts.append("• ")
        elif tag in ("td", "th"):
            self.parts.append(" ")
        elif tag in BLOCKS:
            self._break(PARAGRAPH)

    def handle_startendtag(self, tag, attrs):
        self.tags += 1
        if tag == "br":
            self._break(LINE)
        elif tag == "hr":
            self._break(PARAGRAPH)

    def handle_endtag(self, tag):
        self.tags += 1
        if self._skipping and tag == self._skipping[-1]:
            self._skipping.pop()
        elif tag == "li":
            self._break(LINE)
        elif tag in BLOCKS:
            self._break(PARAGRAPH)

    def handle_data(self, data):
        if not self._skipping:
            # Inside HTML, runs of spaces and line breaks are one space (as a browser shows them).
            words = " ".join(data.split())
            lead = " " if data[:1].isspace() else ""
            trail = " " if data[-1:].isspace() and words else ""
            self.parts.append(lead + words + trail)

    def text(self) -> str:
        joined = "".join(self.parts)
        lines = [" ".join(line.split()) for line in joined.split(LINE)]
        # No more than one empty line in a row, none at the ends.
        out: list[str] = []
        for line in lines:
            if not line and (not out or not out[-1]):
                continue
            out.append(line)
        while out and not out[-1]:
            out.pop()
        return LINE.join(out)


def plain_text(value: str) -> str:
    """Text from a value that may be HTML: tags removed (paragraphs and list items on lines of their own, list
    items marked "• "), character references decoded (&amp; &rsquo; &#163;), script and style left out.
    Text without any tag keeps its own line breaks; only its character references are decoded."""
    if not value:
        return ""
    parser = _TextParser()
    parser.feed(value)
    parser.close()
    if parser.tags == 0:
        return html.unescape(value).strip()
    return parser.text()


def one_line(value: str) -> str:
    """plain_text on one line (for names and short fields)."""
    return " ".join(plain_text(value).split())


# --- web addresses ----------------------------------------------------------------------------------------

_HOST_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")


def _host_problem(host: str) -> str | None:
    if not host:
        return "has no host name"
    labels = host.rstrip(".").split(".")
    if len(labels) < 2:
        return f"host {host!r} has no domain (like example.org)"
    for label in labels:
        if not label or len(label) > 63 or label.startswith("-") or label.endswith("-"):
            return f"host {host!r} is not a host name"
        if not set(label.lower()) <= _HOST_CHARACTERS and not label.lower().startswith("xn--"):
            # An internationalised name, written in its own letters, is still a host name.
            if not all(ch.isalnum() or ch == "-" for ch in label):
                return f"host {host!r} is not a host name"
    top = labels[-1]
    if not (top.isalpha() or top.lower().startswith("xn--")):
        # An address by number (192.0.2.1) is a web address, but never the one a publisher means.
        return f"host {host!r} is not a domain name"
    return None


def web_address(value: str) -> tuple[str, str | None]:
    """(the address to keep, why it was not kept). A web address with http(s) is kept as it is; one without a
    scheme ("www.example.org", "example.org/clubs", "//example.org") gets "https://"; anything else (an email
    address, a mailto: link, words, a bare word) is not kept and the reason says why."""
    raw = " ".join(value.split())
    if not raw:
        return "", None
    lower = raw.lower()
    if lower.startswith("mailto:") or ("@" in raw and "/" not in raw.split("@", 1)[0] and " " not in raw):
        if "://" not in raw:
            return "", "is an email address, not a web address"
    if " " in raw:
        return "", "is not a web address (it has spaces)"
    scheme = urlsplit(raw).scheme.lower() if "://" in raw else ""
    if scheme and scheme not in ("http", "https"):
        return "", f"is a {scheme}: address, not a web page"
    completed = raw if scheme else "https:" + raw if raw.startswith("//") else "https://" + raw
    try:
        parts = urlsplit(completed)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - a port that is not a number raises ValueError
    except ValueError:
        return "", "is not a web address"
    if parts.username or parts.password:
        return "", "has a user name or password in it"
    problem = _host_problem(host)
    if problem:
        return "", problem
    return completed, None
