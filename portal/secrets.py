"""The key that signs download links: the setting, or a random one kept in the data folder."""

import secrets
from pathlib import Path

from portal.settings import Settings


def secret_key(settings: Settings) -> str:
    """``secret_key`` if set; else the key in ``data_dir/secret.key``, made on first use (one host)."""
    if settings.secret_key:
        return settings.secret_key
    path: Path = settings.data_dir / "secret.key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(32)
        try:
            with path.open("x") as file:  # another process that got here first keeps its key
                path.chmod(0o600)
                file.write(key)
        except FileExistsError:
            return path.read_text().strip()
        return key
