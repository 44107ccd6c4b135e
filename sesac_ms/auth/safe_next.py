"""Where to go after log-in: only a path on this site, never another host."""

from urllib.parse import urlsplit


def safe_next(target: str | None) -> str | None:
    """Return target if it is a same-site path, else None.

    Browsers read a backslash as a slash, so "/\\evil.example" would leave the site;
    anything with a backslash, a control character, a scheme or a host is refused.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
