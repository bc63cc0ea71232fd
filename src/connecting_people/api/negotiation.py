"""Content negotiation: which of the media types a resource offers a request's `Accept` header prefers (RFC 9110
§12.5.1: quality values, `type/*` and `*/*`; the order the resource offers them breaks ties). No Accept header
means the first offered. A request that accepts none of them is answered 406 (a problem document)."""


class NotAcceptable(Exception):
    def __init__(self, offered: tuple[str, ...]):
        super().__init__("not acceptable")
        self.offered = offered


def _ranges(header: str) -> list[tuple[str, float, int]]:
    """(media range, quality, specificity) of each part of an Accept header; malformed parts are skipped."""
    found = []
    for part in header.split(","):
        media, *parameters = [piece.strip() for piece in part.split(";")]
        media = media.lower()
        if media.count("/") != 1:
            continue
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    quality = 0.0
        kind, subtype = media.split("/")
        specificity = 0 if kind == "*" else 1 if subtype == "*" else 2
        found.append((media, quality, specificity))
    return found


def _quality(ranges: list[tuple[str, float, int]], offered: str) -> float:
    """The quality the most specific matching range gives `offered` (0 when none matches)."""
    kind = offered.split("/")[0]
    best = None
    for media, quality, specificity in ranges:
        if media in (offered, f"{kind}/*", "*/*") and (best is None or specificity > best[1]):
            best = (quality, specificity)
    return best[0] if best else 0.0


def preferred(request, offered: tuple[str, ...]) -> str:
    """The offered media type the request prefers; NotAcceptable when it takes none of them."""
    header = request.headers.get("Accept", "").strip()
    if not header:
        return offered[0]
    ranges = _ranges(header)
    if not ranges:
        return offered[0]
    scored = [(_quality(ranges, media), -index, media) for index, media in enumerate(offered)]
    quality, _, media = max(scored)
    if quality <= 0:
        raise NotAcceptable(offered)
    return media
