"""File names of what people upload and download, kept meaningful."""

from __future__ import annotations

import unicodedata
from pathlib import PurePath
from urllib.parse import quote

_UNSAFE = '"\\/:*?<>|;'


def shorten_filename(name: str, limit: int = 200) -> str:
    """`name` cut to `limit` characters in the middle ("开头…结尾.docx"), the extension always kept, so a long name
    still says what it is and still opens with the right program."""
    if len(name) <= limit:
        return name
    suffix = PurePath(name).suffix
    if len(suffix) > 16:  # not an extension, just a dot in a long name
        suffix = ""
    stem = name[: len(name) - len(suffix)]
    room = limit - len(suffix) - 1
    head = room - room // 3
    return f"{stem[:head]}…{stem[len(stem) - (room - head):]}{suffix}"


def _ascii(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join("_" if c in _UNSAFE or not c.isprintable() else c for c in text).strip(" _")


def content_disposition(name: str, *, inline: bool = False) -> str:
    """A Content-Disposition header naming `name`: `filename*` (RFC 6266/5987, UTF-8) for browsers that read it,
    and an ASCII `filename` beside it for those that do not ("attachment.docx" when nothing of the name is
    ASCII)."""
    suffix = PurePath(name).suffix
    ascii_stem = _ascii(name[: len(name) - len(suffix)])
    if not any(c.isalnum() for c in ascii_stem):  # nothing of the name itself is ASCII
        ascii_stem = "attachment"
    ascii_name = ascii_stem + (_ascii(suffix) if suffix.isascii() else "")
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
