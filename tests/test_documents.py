"""Loaders on documents made by real tools: LibreOffice fixtures, python-docx, fpdf2."""

import codecs
import json
import subprocess
import sys
from pathlib import Path

import docx
import pytest
from fpdf import FPDF

from writer_app.documents.loader import load_document

FIXTURES = Path(__file__).parent / "fixtures"


def kinds(doc):
    return [(b.kind, b.level, b.text) for b in doc.blocks if b.kind != "page_break"]


@pytest.mark.parametrize("name", ["harbour.html", "harbour-libreoffice.docx",
                                  "harbour-libreoffice.odt"])
def test_structured_formats_keep_headings_lists_and_tables(name):
    doc = load_document(FIXTURES / name)
    assert doc.title == "Harbour Report"
    blocks = kinds(doc)
    assert blocks[0] == ("heading", 1, "Harbour Report")
    assert ("heading", 2, "Traffic") in blocks and ("heading", 2, "Costs") in blocks
    assert ("list_item", 0, "Containers: up 20 percent") in blocks
    assert ("list_item", 0, "Ferries: unchanged") in blocks
    assert ("table", 0, "Item | Cost\nDredging | 1.2 million\nCranes | 0.8 million") in blocks
    assert blocks[-1] == ("paragraph", 0, "The board expects costs to fall next year.")
    assert "Café owners on the quay" in doc.text()


@pytest.mark.parametrize("name,kind", [("harbour-libreoffice.pdf", "pdf"),
                                       ("harbour-libreoffice.epub", "epub"),
                                       ("harbour-libreoffice.rtf", "rtf")])
def test_flat_formats_keep_every_paragraph(name, kind):
    doc = load_document(FIXTURES / name)
    assert doc.type == kind and doc.title == "Harbour Report"
    texts = [b.text for b in doc.blocks]
    for expected in ("Harbour Report", "Costs",
                     "Container traffic grew by a fifth, while fishing boats held steady.",
                     "The board expects costs to fall next year."):
        assert any(expected in t for t in texts), expected
    assert "Café owners on the quay were pleased." in doc.text()


def test_pdf_list_items_and_pages():
    assert ("list_item", 0, "Ferries: unchanged") in kinds(
        load_document(FIXTURES / "harbour-libreoffice.pdf"))
    assert load_document(FIXTURES / "harbour-libreoffice.pdf").pages == 1


def test_multi_page_pdf_from_fpdf2(tmp_path):
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for n in range(1, 4):
        pdf.add_page()
        pdf.multi_cell(0, 8, f"Page {n} opens here. " + "The tide came in slowly. " * 30)
    path = tmp_path / "three.pdf"
    pdf.output(str(path))
    doc = load_document(path)
    assert doc.pages == 3
    assert [b.kind for b in doc.blocks].count("page_break") == 2
    for n in (1, 2, 3):
        assert f"Page {n} opens here." in doc.text()
    # Lines wrapped by the PDF are joined back into one paragraph per page.
    assert sum(1 for b in doc.blocks if b.kind == "paragraph") == 3


def test_docx_from_python_docx(tmp_path):
    d = docx.Document()
    d.add_heading("Plan", 1)
    d.add_paragraph("First we sail.")
    d.add_paragraph("Buy rope", style="List Bullet")
    d.add_paragraph("Check sails", style="List Bullet 2")
    d.add_heading("Budget", 2)
    table = d.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Rope", "10"
    table.cell(1, 0).text, table.cell(1, 1).text = "Sails", "90"
    path = tmp_path / "plan.docx"
    d.save(str(path))
    assert kinds(load_document(path)) == [
        ("heading", 1, "Plan"), ("paragraph", 0, "First we sail."),
        ("list_item", 0, "Buy rope"), ("list_item", 0, "Check sails"),
        ("heading", 2, "Budget"), ("table", 0, "Rope | 10\nSails | 90")]


def test_markdown_structure(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text("# Notes\n\nA *first* line\ncontinued.\n\n- one\n  - two\n\n"
                    "```\ncode here\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    doc = load_document(path)
    assert doc.title == "Notes"
    assert kinds(doc) == [("heading", 1, "Notes"), ("paragraph", 0, "A *first* line continued."),
                          ("list_item", 0, "one"), ("list_item", 1, "two"),
                          ("code", 0, "code here"), ("table", 0, "a | b\n1 | 2")]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-be-bom",
                                      "cp1252", "latin-1"])
def test_text_encodings(tmp_path, encoding):
    text = "Café naïve déjà vu.\n\nSecond paragraph, with façade and Zürich."
    if encoding == "utf-16-be-bom":
        data = codecs.BOM_UTF16_BE + text.encode("utf-16-be")
    else:
        data = text.encode(encoding)
    path = tmp_path / "legacy.txt"
    path.write_bytes(data)
    doc = load_document(path)
    assert [b.text for b in doc.blocks] == ["Café naïve déjà vu.",
                                            "Second paragraph, with façade and Zürich."]


def test_type_comes_from_content_not_the_name(tmp_path):
    for src, fake, kind in [("harbour-libreoffice.pdf", "report.txt", "pdf"),
                            ("harbour-libreoffice.docx", "report.bin", "docx"),
                            ("harbour-libreoffice.odt", "report.docx", "odt"),
                            ("harbour-libreoffice.epub", "book.zip", "epub"),
                            ("harbour.html", "page.txt", "html"),
                            ("harbour-libreoffice.rtf", "letter.txt", "rtf")]:
        path = tmp_path / fake
        path.write_bytes((FIXTURES / src).read_bytes())
        assert load_document(path).type == kind, src


def test_extract_cli_prints_text_and_json():
    run = [sys.executable, "-m", "writer_app", "extract"]
    plain = subprocess.run([*run, str(FIXTURES / "harbour-libreoffice.docx")],
                           capture_output=True, text=True)
    assert plain.returncode == 0
    assert plain.stdout.startswith("# Harbour Report\n\n")
    assert "- Containers: up 20 percent\n- Ferries: unchanged" in plain.stdout
    structured = subprocess.run([*run, "--json", str(FIXTURES / "harbour-libreoffice.odt")],
                                capture_output=True, text=True)
    data = json.loads(structured.stdout)
    assert data["type"] == "odt" and data["title"] == "Harbour Report"
    assert data["blocks"][0] == {"kind": "heading", "text": "Harbour Report", "level": 1}
    assert data["words"] == 59


@pytest.mark.parametrize("text,encoding", [
    ("Привет! Это письмо о погоде в нашем городе. Сегодня тепло и солнечно.", "cp1251"),
    ("Привет! Это письмо о погоде в нашем городе. Сегодня тепло и солнечно.", "koi8-r"),
    ("今日はとても良い天気です。明日は雨が降るでしょう。", "shift_jis"),
])
def test_other_legacy_encodings(tmp_path, text, encoding):
    path = tmp_path / "legacy.txt"
    path.write_bytes(text.encode(encoding))
    assert load_document(path).blocks[0].text == text
