"""The app's 出图 Sheet download, headless (AppTest): on the map page for the layers, filters
and search shown, and on the landing-points page for the proposed network. The bytes the
download button serves are caught where Streamlit stores them (its media file storage)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from layers import app

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "streamlit_app.py"
LANDING = ROOT / "pages" / "2_Landing_points.py"


@pytest.fixture(autouse=True)
def user_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("PLANMAP_USER_DIR", str(tmp_path / "user"))


@pytest.fixture
def served(monkeypatch):
    """Every file a download button hands to Streamlit: ``(file name, MIME type, bytes)``."""
    files: list[tuple[str | None, str, bytes]] = []
    original = MemoryMediaFileStorage.load_and_get_id

    def spy(self, path_or_data, mimetype, kind, filename=None):
        if isinstance(path_or_data, bytes):
            files.append((filename, mimetype, path_or_data))
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", spy)
    return files


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _pdf_pages_mm(data: bytes, tmp_path: Path) -> tuple[float, float]:
    path = tmp_path / "sheet.pdf"
    path.write_bytes(data)
    if not shutil.which("pdfinfo"):
        pytest.skip("poppler-utils not installed")
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    m = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
    return float(m.group(1)) * 25.4 / 72, float(m.group(2)) * 25.4 / 72


def _sheets(files):
    return [f for f in files if f[1] == "application/pdf"]


def test_map_page_sheet_download_is_a_pdf_of_what_is_shown(served, tmp_path):
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.session_state["search"] = "莲塘口岸"
    at.run()
    _ok(at)
    assert not [b for b in at.get("download_button") if b.proto.id.endswith("dl_sheet")]
    at.selectbox(key="sheet_paper").set_value("A4")
    at.selectbox(key="sheet_orientation").set_value("portrait")
    at.button(key="sheet_make").click()
    at.run()
    _ok(at)
    buttons = [b for b in at.get("download_button") if "dl_sheet" in b.proto.id]
    assert len(buttons) == 1
    assert buttons[0].proto.label == "出图 Sheet (PDF)"
    (sheet,) = _sheets(served)
    name, _mime, data = sheet
    assert data.startswith(b"%PDF")
    assert name.endswith("_sheet_A4_portrait.pdf")
    w, h = _pdf_pages_mm(data, tmp_path)
    assert abs(w - 210) <= 0.5
    assert abs(h - 297) <= 0.5
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "sheet.pdf"), "-"], capture_output=True, text=True
    ).stdout
    assert "莲塘口岸" in text  # the searched port is labelled
    # a changed filter takes the download away until the sheet is made again
    at.multiselect(key="statuses").set_value(["existing"])
    at.run()
    _ok(at)
    assert not [b for b in at.get("download_button") if "dl_sheet" in b.proto.id]


def test_landing_page_sheet_download(served, tmp_path):
    at = AppTest.from_file(str(LANDING), default_timeout=180)
    at.run()
    _ok(at)
    at.button(key="sheet_make").click()
    at.run()
    _ok(at)
    (sheet,) = _sheets(served)
    assert sheet[2].startswith(b"%PDF")
    w, h = _pdf_pages_mm(sheet[2], tmp_path)
    assert abs(w - 420) <= 0.5
    assert abs(h - 297) <= 0.5
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "sheet.pdf"), "-"], capture_output=True, text=True
    ).stdout
    assert "起降点" in text
    assert "1:50,000" in text


def test_sheet_pdf_and_file_name():
    view = app.build_view(store_path="/nonexistent/planmap_user.gpkg")
    shown = app.filter_layers(view, names=["ports", "context"], statuses=app.STATUSES)
    data = app.sheet_pdf(shown, paper="A4", orientation="landscape", base=app.base_of())
    assert data.startswith(b"%PDF")
    assert app.sheet_file("luohu_2025", "A4", "landscape") == (
        "luohu_2025_sheet_A4_landscape.pdf",
        "application/pdf",
    )
