"""Key files made on first use, for local development, the demo and the tests (never in production)."""

import os
import secrets
from pathlib import Path


def secret_file_make_once(path: Path) -> None:
    """Write a new random secret to `path` (mode 600) unless the file exists. Safe when two processes race:
    the file is linked into place atomically, and never replaces one another process made first."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(secrets.token_urlsafe(48) + "\n")
    try:
        os.link(partial, path)
    except FileExistsError:
        pass
    finally:
        partial.unlink()
