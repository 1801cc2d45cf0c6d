"""File names of what people upload and download, kept meaningful."""

from __future__ import annotations

import re
import unicodedata
from pathlib import PurePath
from urllib.parse import quote

_UNSAFE = '"\\/:*?<>|;'
_WORDS = re.compile(r"[A-Za-z0-9]+(?:[._][A-Za-z0-9]+)*")


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


def _suffix(name: str) -> str:
    suffix = PurePath(name).suffix
    return _ascii(suffix) if suffix.isascii() and len(suffix) <= 16 else ""


def _words(stem: str) -> str:
    """The ASCII words and numbers of `stem`, joined by "-" ("InfoHub名册-20261130" → "InfoHub-20261130"): what is left
    of a Chinese name for a client that cannot read `filename*`. Brackets and punctuation whose words were Chinese go
    with them ("通报（待印发）" leaves nothing, not "()")."""
    text = unicodedata.normalize("NFKC", stem)
    return "-".join(_WORDS.findall(text))[:120]


def ascii_filename(name: str, fallback: str | None = None) -> str:
    """The ASCII name a client without `filename*` saves `name` as: `name` itself when it is ASCII; else `fallback`
    when the caller gives one (its own meaningful name, e.g. tongbao-2026-Q2-no3.docx; the extension of `name` added
    when it has none); else the ASCII words of `name` when they hold a letter ("Report 会议纪要 v2.docx" →
    "Report-v2.docx"); else "download" with the extension. Never a name of bare digits and brackets ("2026().docx")."""
    suffix = _suffix(name)
    if name.isascii() and _ascii(name) == name.strip() and re.search(r"[A-Za-z0-9]", name):
        return name.strip()
    if fallback:
        given = _ascii(fallback)
        given_stem = given[: len(given) - len(_suffix(given))] if _suffix(given) else given
        stem = _words(given_stem)
        if stem:
            return stem + (_suffix(given) or suffix)
    stem = _words(name[: len(name) - len(PurePath(name).suffix)] if suffix else name)
    if not re.search(r"[A-Za-z]", stem):
        stem = "download" + (f"-{stem}" if stem else "")
    return stem + suffix


def content_disposition(name: str, *, fallback: str | None = None, inline: bool = False) -> str:
    """A Content-Disposition header naming `name`: `filename*` (RFC 6266/5987, UTF-8) for browsers that read it, and
    an ASCII `filename` beside it for those that do not (`ascii_filename`: the caller's `fallback`, else the ASCII words
    of the name, else "download"). Every download goes through here, so no client saves a Chinese name as "2026().docx"."""
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_filename(name, fallback)}\"; filename*=UTF-8''{quote(name, safe='')}"
