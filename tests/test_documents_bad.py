"""Bad documents give one clear error naming the file and the reason; nothing hangs."""

import os
import shutil
import tempfile
import zipfile
from pathlib import Path

import docx
import pytest
from fpdf import FPDF

from writer_app.documents.loader import load_document
from writer_app.documents.model import DocumentError

from .helpers import error_as_unprivileged_user

FIXTURES = Path(__file__).parent / "fixtures"


def refused(path, *parts):
    with pytest.raises(DocumentError) as err:
        load_document(path)
    message = str(err.value)
    assert message.startswith(f"{path}: ")
    for part in parts:
        assert part in message
    return message


def test_password_protected_pdf(tmp_path):
    pdf = FPDF()
    pdf.set_encryption(owner_password="owner", user_password="secret")
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(0, 10, "Secret plans")
    path = tmp_path / "locked.pdf"
    pdf.output(str(path))
    refused(path, "password-protected")


def test_pdf_without_a_text_layer(tmp_path):
    pdf = FPDF()
    pdf.add_page()
    pdf.set_fill_color(80, 80, 80)
    for row in range(20):  # a page of shapes, as a scan is a page of pixels
        pdf.rect(10, 10 + row * 12, 180, 8, style="F")
    path = tmp_path / "scan.pdf"
    pdf.output(str(path))
    refused(path, "no extractable text")


def test_truncated_pdf(tmp_path):
    data = (FIXTURES / "harbour-libreoffice.pdf").read_bytes()
    path = tmp_path / "cut.pdf"
    path.write_bytes(data[:300])
    refused(path, "PDF")


def test_corrupt_docx(tmp_path):
    path = tmp_path / "broken.docx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document><w:body><w:p>unclosed")
    refused(path, "is a damaged Word (DOCX) file")


def test_truncated_docx(tmp_path):
    data = (FIXTURES / "harbour-libreoffice.docx").read_bytes()
    path = tmp_path / "cut.docx"
    path.write_bytes(data[: len(data) // 2])
    refused(path, "damaged")


def test_corrupt_odt(tmp_path):
    path = tmp_path / "broken.odt"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        zf.writestr("content.xml", "<office:document-content>not xml at all")
    refused(path, "is a damaged OpenDocument (ODT) file")


def test_corrupt_epub(tmp_path):
    path = tmp_path / "broken.epub"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "application/epub+zip")
        zf.writestr("OEBPS/chapter1.xhtml", "<html><body><p>Hi</p></body></html>")
    refused(path, "damaged EPUB", "container.xml is missing")


def test_epub_with_a_missing_chapter(tmp_path):
    src = FIXTURES / "harbour-libreoffice.epub"
    path = tmp_path / "gap.epub"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(path, "w") as zout:
        for item in zin.infolist():
            if not item.filename.endswith("section0001.xhtml"):
                zout.writestr(item, zin.read(item))
    refused(path, "damaged EPUB", "section0001.xhtml is listed but missing")


def test_zip_bomb_by_ratio(tmp_path):
    path = tmp_path / "bomb.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", b"\0" * (40 * 2**20))
    assert path.stat().st_size < 2**20
    refused(path, "word/document.xml is compressed more than 200:1", "zip bomb")


@pytest.mark.slow
def test_zip_bomb_by_total_size(tmp_path):
    path = tmp_path / "bomb.odt"
    chunk = os.urandom(2**20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        for i in range(6):
            # Random data does not compress, so only the total can give it away.
            zf.writestr(f"Pictures/{i}.bin", chunk * 1 + b"\0" * (99 * 2**20))
    refused(path, "over the 500 MiB cap")


def test_empty_file(tmp_path):
    for name in ("empty.txt", "empty.pdf", "empty.docx"):
        path = tmp_path / name
        path.touch()
        refused(path, "is empty")


def test_document_with_no_text(tmp_path):
    path = tmp_path / "blank.docx"
    docx.Document().save(str(path))
    refused(path, "has no text")


def test_binary_garbage_named_txt(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_bytes(os.urandom(4096))
    refused(path, "binary data")


def test_file_over_the_size_cap(tmp_path):
    path = tmp_path / "huge.txt"
    with path.open("wb") as f:  # sparse: takes no disk space
        f.truncate(201 * 2**20)
    refused(path, "201 MiB, over the 200 MiB size cap")


def test_plain_zip_is_not_a_document(tmp_path):
    path = tmp_path / "archive.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("a.txt", "hello")
    refused(path, "is a zip archive")


def test_missing_path(tmp_path):
    refused(tmp_path / "nowhere.pdf", "no such file")


def test_folder(tmp_path):
    refused(tmp_path, "is a folder")


def test_unreadable_file():
    folder = Path(tempfile.mkdtemp(prefix="writer-unreadable-"))
    try:
        folder.chmod(0o755)
        path = folder / "private.txt"
        path.write_text("secret")
        path.chmod(0)
        if os.geteuid() != 0:
            refused(path, "cannot be read")
        else:
            assert error_as_unprivileged_user(load_document, path) == (
                f"{path}: cannot be read: Permission denied")
    finally:
        shutil.rmtree(folder)


def test_cli_reports_bad_documents_in_one_line(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "notes.txt"
    path.write_bytes(os.urandom(2048))
    proc = subprocess.run([sys.executable, "-m", "writer_app", "extract", str(path)],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"writer-app: error: {path}: it holds binary data, not text"
