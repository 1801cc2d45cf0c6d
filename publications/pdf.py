"""PDF from the .docx, by LibreOffice headless (Debian's libreoffice-writer-nogui): one layout to keep, so the PDF
cannot drift from the .docx. The official faces the .docx names are mapped to free stand-ins by the fontconfig
alias file shipped here (fonts/fonts.conf); LibreOffice embeds the fonts it uses.

Run from a Celery task, never in a web request (a conversion takes seconds). Each process keeps its own
LibreOffice profile, made once, so conversions in several worker processes never share one and the second
conversion in a process skips the profile's first-run setup.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

FONTS_CONF = Path(__file__).resolve().parent / "fonts" / "fonts.conf"
TIMEOUT_SECONDS = 120
_lock = threading.Lock()  # one conversion at a time per process: they share the process's profile


class ConversionFailed(RuntimeError):
    pass


def soffice() -> str:
    found = os.environ.get("INFOHUB_SOFFICE") or shutil.which("soffice") or shutil.which("libreoffice")
    if not found:
        raise ConversionFailed(
            "LibreOffice is not installed: PDF exports need Debian's libreoffice-writer-nogui (bin/system-packages).")
    return found


def _profile() -> Path:
    return Path(tempfile.gettempdir()) / f"infohub-lo-profile-{os.getuid()}-{os.getpid()}"


def docx_to_pdf(docx: bytes) -> bytes:
    """The PDF of a .docx, as bytes."""
    with _lock, tempfile.TemporaryDirectory(prefix="infohub-pdf-") as work:
        source = Path(work) / "issue.docx"
        source.write_bytes(docx)
        env = {**os.environ, "FONTCONFIG_FILE": str(FONTS_CONF), "HOME": work, "SAL_USE_VCLPLUGIN": "svp"}
        command = [soffice(), f"-env:UserInstallation=file://{_profile()}", "--headless", "--norestore",
                   "--nolockcheck", "--convert-to", "pdf:writer_pdf_Export", "--outdir", work, str(source)]
        try:
            done = subprocess.run(command, env=env, capture_output=True, timeout=TIMEOUT_SECONDS, check=False)
        except subprocess.TimeoutExpired as expired:
            raise ConversionFailed(f"LibreOffice took longer than {TIMEOUT_SECONDS} s") from expired
        result = Path(work) / "issue.pdf"
        if done.returncode != 0 or not result.exists():
            raise ConversionFailed(f"LibreOffice failed ({done.returncode}): {done.stderr.decode(errors='replace')[-500:]}")
        return result.read_bytes()
