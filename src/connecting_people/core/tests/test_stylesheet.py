"""The built stylesheet (`make assets`) gives pages the design system's fallback font and loads nothing from
elsewhere (ADR 0004)."""

import re

from connecting_people.core.tests.deployment import BUILT_STYLESHEET, require_built_assets


def built_css() -> str:
    require_built_assets()
    return BUILT_STYLESHEET.read_text()


def test_pages_are_set_in_arial_not_the_browsers_default_serif():
    """nhsuk-frontend sets the page font only with its Frutiger @font-face rules, which we leave out."""
    assert re.search(r"(^|})html\{[^}]*font-family:arial,sans-serif", built_css())


def test_no_font_or_image_comes_from_another_host():
    css = built_css()
    assert "@font-face" not in css
    assert not re.search(r"url\(\s*[\"']?(https?:)?//", css)


def test_images_are_referred_to_relatively_so_the_manifest_storage_can_hash_them():
    urls = re.findall(r"url\(\s*[\"']?([^\"')]+)", built_css())
    files = [url for url in urls if not url.startswith("data:")]
    assert files and all(url.startswith("../assets/") for url in files), files
