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
from writer_app.documents.model import (
    MAX_BLOCKS,
    MAX_LEVEL,
    MAX_TEXT_CHARS,
    Block,
    DocumentError,
)

from . import hostile_documents as hostile
from .bounded import run_bounded
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


# --- Hostile files (issue 13): each class asserts its outcome and its cost, measured in a
# child process (tests/bounded.py): within 10 s at a peak of 512 MB or less. ------------

LOAD = "writer_app.documents.loader:load_document"


def loaded_within_bounds(path, **bounds):
    """The document's size ({"blocks": n, "chars": n}), loaded within the bounds."""
    outcome = run_bounded(LOAD, str(path))
    assert outcome.ok, f"{outcome.type}: {outcome.message}"
    outcome.within_bounds(**bounds)
    return outcome.value


def refused_within_bounds(path, *parts, target=LOAD):
    outcome = run_bounded(target, str(path))
    assert not outcome.ok, f"loaded: {outcome.value}"
    assert outcome.type in ("DocumentError", "DownloadCancelled"), outcome.traceback
    assert outcome.message.startswith(f"{path}: "), outcome.message
    for part in parts:
        assert part in outcome.message
    assert "\n" not in outcome.message
    outcome.within_bounds()
    return outcome.message


# 1. Every read of a zip member is bounded, and the guard comes before any read.

@pytest.mark.slow
def test_a_mimetype_that_inflates_to_a_gibibyte_is_refused_unread(tmp_path):
    path = hostile.mimetype_bomb(tmp_path)
    assert path.stat().st_size < 2 * 2**20
    refused_within_bounds(path, "would expand to 1024 MiB", "zip bomb")


def test_sniffing_reads_only_the_start_of_a_member(tmp_path):
    path = tmp_path / "sniff.odt"
    # Not a type Writer knows, then 400 MiB of spaces (under the total cap).
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf, \
            zf.open("mimetype", "w", force_zip64=True) as member:
        member.write(b"application/x-unknown")
        for _ in range(25):
            member.write(b" " * 16 * 2**20)
    assert path.stat().st_size < 2**20
    refused_within_bounds(path, "is a zip archive, not a document")


# 2. Every loader counts what it produces and stops at the cap.

def test_an_odt_run_of_three_billion_spaces_is_one_space(tmp_path):
    size = loaded_within_bounds(hostile.odt_space_run(tmp_path))
    assert size == {"blocks": 4, "chars": 12}  # "a b" four times


def test_a_huge_docx_list_level_is_the_deepest_level_shown(tmp_path):
    for maker in (hostile.docx_huge_ilvl, hostile.docx_deep_ilvl):
        path = maker(tmp_path)
        loaded_within_bounds(path)
        doc = load_document(path)
        assert {b.level for b in doc.blocks} == {MAX_LEVEL}
        assert len(doc.text()) < 1000


def test_a_docx_cell_spanning_200000_columns_is_one_cell(tmp_path):
    size = loaded_within_bounds(hostile.docx_grid_span(tmp_path))
    assert size["blocks"] == 1 and size["chars"] < 40 * 40
    doc = load_document(hostile.docx_grid_span(tmp_path))
    assert doc.blocks[0].text.splitlines()[0] == "cell | cell | cell | cell | cell"


def test_an_epub_spine_listing_one_chapter_5000_times_reads_it_once(tmp_path):
    size = loaded_within_bounds(hostile.epub_repeated_spine(tmp_path))
    assert size["blocks"] == 1 and size["chars"] < 200_000


def test_a_pdf_page_tree_listing_one_page_a_million_times_is_refused(tmp_path):
    refused_within_bounds(hostile.pdf_repeated_page(tmp_path),
                          "has 1,000,000 pages, over the 10,000-page cap")


def test_a_page_of_a_million_paragraphs_stops_at_the_block_cap(tmp_path):
    path = tmp_path / "many.html"
    path.write_bytes(b"<html><body>" + b"<p>a</p>" * (MAX_BLOCKS + 10) + b"</body></html>")
    refused_within_bounds(path, f"more than {MAX_BLOCKS:,} paragraphs")


@pytest.mark.slow
def test_a_text_over_the_character_cap_is_refused_before_its_blocks(tmp_path):
    path = tmp_path / "long.txt"
    line = b"The harbour was busy all year long, and the ferries ran late.\n\n"
    with path.open("wb") as f:
        for _ in range(MAX_TEXT_CHARS // len(line) + 10):
            f.write(line)
    refused_within_bounds(path, f"more than {MAX_TEXT_CHARS:,} characters")


def test_every_loader_stops_at_the_character_cap(monkeypatch):
    """The same budget runs through each loader: a small cap shows each one stops."""
    from writer_app.documents import limits

    monkeypatch.setattr(limits, "MAX_TEXT_CHARS", 100)
    monkeypatch.setattr(limits.BlockBudget.__init__, "__defaults__", (100, MAX_BLOCKS))
    for name in ("harbour.html", "harbour-libreoffice.docx", "harbour-libreoffice.odt",
                 "harbour-libreoffice.epub", "harbour-libreoffice.pdf",
                 "harbour-libreoffice.rtf"):
        refused(FIXTURES / name, "more than 100 characters of text")


def test_markup_without_text_stops_at_the_element_cap(tmp_path, monkeypatch):
    from writer_app.documents import office

    monkeypatch.setattr(office, "MAX_ELEMENTS", 1000)
    path = hostile.docx(tmp_path, "runs.docx", "<w:p>" + "<w:r/>" * 2000 + "</w:p>")
    refused(path, "more than 1,000 XML elements")


# 3. HTML costs a bounded multiple of its size.

@pytest.mark.slow
def test_a_20_mib_page_costs_less_than_20_times_its_size(tmp_path):
    path = hostile.big_html(tmp_path, mib=20)
    outcome = run_bounded(LOAD, str(path))
    assert outcome.ok, outcome.message
    outcome.within_bounds()
    assert outcome.peak_mb - outcome.import_mb < 20 * 20


def test_a_thousand_unclosed_tags_are_read(tmp_path):
    doc = load_document(hostile.unclosed_font_tags(tmp_path))
    assert doc.blocks[-1].text == "The end."
    assert doc.words == 1002
    loaded_within_bounds(hostile.unclosed_font_tags(tmp_path, count=200_000))


# 4. The ratio guard counts real bytes, not the sizes the zip declares.

def test_a_zip_that_misstates_its_compressed_size_is_caught_as_it_inflates(tmp_path):
    path = hostile.lying_docx(tmp_path)
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("word/document.xml")
    assert info.file_size < 40 * info.compress_size  # what it declares looks harmless
    refused_within_bounds(path, "word/document.xml is compressed more than 200:1",
                          "zip bomb")


# 7. No text disappears silently.

def test_a_12_level_outline_keeps_the_paragraph_after_it(tmp_path):
    doc = load_document(hostile.deep_markdown(tmp_path, levels=12))
    assert doc.blocks[-1] == Block("paragraph", "The closing paragraph must survive.")
    assert [b.text for b in doc.blocks if b.kind == "list_item"] == [
        f"level {i}" for i in range(12)]


def test_markdown_nested_5000_levels_keeps_every_line(tmp_path):
    path = hostile.deep_markdown(tmp_path, levels=5000)  # 25 MB of indentation
    loaded_within_bounds(path)
    doc = load_document(path)
    # Read in pieces, the deepest levels may come back as indented code: as text still.
    words = doc.text().split()
    assert [int(w) for w, before in zip(words[1:], words, strict=False)
            if before == "level"] == list(range(5000))
    assert doc.blocks[-1].text == "The closing paragraph must survive."


def test_deep_block_quotes_keep_their_text():
    from writer_app.documents.text import markdown_blocks

    blocks = markdown_blocks(">" * 100_000 + " deep\n\nafter\n")
    assert [b.text for b in blocks] == ["deep", "after"]


# 11. Smaller ones.

def test_a_text_that_mentions_pdf_is_text(tmp_path):
    doc = load_document(hostile.text_mentioning_pdf(tmp_path))
    assert doc.type == "text" and "%PDF-1.7" in doc.text()


def test_a_pdf_with_junk_before_its_header_is_still_a_pdf(tmp_path):
    path = tmp_path / "mailed.pdf"
    path.write_bytes(b"X-Mailer: old\r\n\r\n" + (FIXTURES / "harbour-libreoffice.pdf").read_bytes())
    assert load_document(path).type == "pdf"


def test_a_fifo_and_a_device_are_refused_at_once(tmp_path):
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    refused_within_bounds(fifo, "is not a regular file")
    refused_within_bounds(Path("/dev/zero"), "is not a regular file")


@pytest.mark.slow
def test_the_same_bomb_served_as_a_web_page_is_refused_unread(tmp_path):
    import functools
    from http.server import SimpleHTTPRequestHandler

    from .loopback import loopback_server

    hostile.mimetype_bomb(tmp_path)

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    with loopback_server(functools.partial(Quiet, directory=str(tmp_path))) as port:
        refused_within_bounds(f"http://127.0.0.1:{port}/bomb.epub", "would expand to 1024 MiB",
                              "zip bomb", target="writer_app.documents.web:load_web_page")


def test_a_markdown_list_of_a_million_items_is_read_in_bounded_pieces(tmp_path):
    path = tmp_path / "list.md"
    path.write_bytes(b"- a short item\n" * 999_000)
    assert loaded_within_bounds(path) == {"blocks": 999_000, "chars": 999_000 * 12}


def test_markdown_read_in_pieces_reads_as_it_would_whole(monkeypatch):
    from writer_app.documents import text as markdown

    unit = ("# Part\n\nSome *prose* with a [link](http://a.b).\n\n- one\n  - two\n\n"
            "```\nfenced\n\nwith a blank line\n```\n\n> a quote\n\n| a | b |\n|---|---|\n"
            "| 1 | 2 |\n\n")
    text = unit * 40_000  # 4.6 MB: several pieces
    assert len(list(markdown.markdown_pieces(text))) > 2
    pieces = markdown.markdown_blocks(text)
    monkeypatch.setattr(markdown, "MARKDOWN_PIECE", 2**30)
    monkeypatch.setattr(markdown.markdown_pieces, "__defaults__", (2**30,))
    assert len(list(markdown.markdown_pieces(text))) == 1
    assert markdown.markdown_blocks(text) == pieces
