"""How production stores static files: WhiteNoise's compressed manifest storage, with module scripts included.

Django's manifest storage gives every collected file a content-hashed name and rewrites the references inside
stylesheets (`url(...)`) to those names, so browsers may cache each file for ever. It does not look inside
`.mjs` files, so our module scripts would import the design system's script by its plain name: served, but
cached only briefly and possibly older than the page expects. This storage rewrites their relative `import`
statements too, and the icons listed in the design system's web app manifest. A reference to a file that does
not exist makes `collectstatic` fail.
"""

from whitenoise.storage import CompressedManifestStaticFilesStorage

# `import { a } from "./x.js"`, `export { a } from "../x.js"` and `import "./x.js"`: relative paths only (bare
# package names are not files of ours). Django fills in the hashed name for the group called "url".
MODULE_IMPORTS = (
    (r"""(?P<matched>\bfrom\s*["'](?P<url>\.{0,2}/[^"'\s]+)["'])""", 'from "%(url)s"'),
    (r"""(?P<matched>\bimport\s*["'](?P<url>\.{0,2}/[^"'\s]+)["'])""", 'import "%(url)s"'),
)


# The icons a web app manifest lists: `"src": "images/favicon.svg"`.
MANIFEST_ICONS = ((r"""(?P<matched>"src"\s*:\s*"(?P<url>[^"]+)")""", '"src": "%(url)s"'),)


class ManifestStaticStorage(CompressedManifestStaticFilesStorage):
    patterns = (
        *CompressedManifestStaticFilesStorage.patterns,
        ("*.mjs", MODULE_IMPORTS),
        ("*/manifest.json", MANIFEST_ICONS),
    )
