"""PDF output: LibreOffice headless converts the proposal's .docx, with a timeout, in a
private profile directory (two conversions at once must not share one profile)."""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from flask import current_app

TIMEOUT_SECONDS = 120


class ConversionFailed(Exception):
    pass


def soffice_path() -> str | None:
    configured = current_app.config.get("SOLUTIONS_SOFFICE") if current_app else None
    if configured:
        return configured if Path(configured).exists() or shutil.which(configured) else None
    return shutil.which("soffice") or shutil.which("libreoffice")


def docx_to_pdf(docx_bytes: bytes, timeout: int | None = None) -> bytes:
    """Convert .docx bytes to PDF bytes with LibreOffice; ConversionFailed on error or timeout."""
    soffice = soffice_path()
    if soffice is None:
        raise ConversionFailed("LibreOffice (soffice) is not installed")
    timeout = timeout or current_app.config.get("SOLUTIONS_PDF_TIMEOUT", TIMEOUT_SECONDS)
    with tempfile.TemporaryDirectory(prefix="solutions-pdf-") as work:
        folder = Path(work)
        source = folder / "proposal.docx"
        source.write_bytes(docx_bytes)
        command = [soffice, f"-env:UserInstallation={(folder / 'profile').as_uri()}", "--headless",
                   "--norestore", "--nolockcheck", "--convert-to", "pdf", "--outdir", str(folder), str(source)]
        try:
            subprocess.run(command, check=True, timeout=timeout, capture_output=True, cwd=work)
        except subprocess.TimeoutExpired:
            raise ConversionFailed(f"LibreOffice did not finish within {timeout} s") from None
        except (subprocess.CalledProcessError, OSError) as exc:
            raise ConversionFailed(f"LibreOffice failed: {exc}") from None
        target = folder / "proposal.pdf"
        if not target.exists() or target.stat().st_size == 0:
            raise ConversionFailed("LibreOffice produced no PDF")
        return target.read_bytes()
