"""Ask the document, with the real default model: answers cite the passages retrieval
found; a question the document never answers gets "does not say" without the model; a
60,000-word document is answered within one context."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from fpdf import FPDF

from benchmarks.summarize_long import write_reference
from writer_app.documents.loader import load_document
from writer_app.documents.model import Document
from writer_app.engine.types import CancelToken
from writer_app.errors import WriterError
from writer_app.tasks.ask import DOES_NOT_SAY, QUOTE_WORDS, Index, ask, passages_of

FIXTURES = Path(__file__).parent / "fixtures"


def block_with(doc: Document, phrase: str) -> int:
    return next(i for i, b in enumerate(doc.blocks) if phrase in b.text)


def test_an_answer_in_one_block_cites_that_block(engine):
    doc = load_document(FIXTURES / "harbour-libreoffice.docx")
    pieces: list[str] = []
    answer = ask(doc, engine, "How much did container traffic grow?", on_piece=pieces.append)
    assert answer.answer and answer.answer != DOES_NOT_SAY
    assert "".join(pieces).strip() == answer.answer
    assert answer.whole_document  # a short file: the model read all of it
    blocks = [c.block for c in answer.citations]
    assert block_with(doc, "Container traffic grew by a fifth") in blocks
    cited = answer.citations[blocks.index(block_with(doc, "Container traffic grew"))]
    assert cited.heading == "Harbour Report \u203a Traffic" and cited.page is None
    assert cited.quote.startswith("Container traffic grew by a fifth")
    assert all(len(c.quote.split()) <= QUOTE_WORDS + 1 for c in answer.citations)


def test_a_question_the_document_never_answers_gets_does_not_say(engine):
    doc = load_document(FIXTURES / "harbour-libreoffice.odt")
    pieces: list[str] = []
    answer = ask(doc, engine, "Who is the mayor of the town?", on_piece=pieces.append)
    assert answer.answer == DOES_NOT_SAY and pieces == [DOES_NOT_SAY]
    assert answer.citations == [] and answer.passages_considered == len(passages_of(doc))


def test_a_pdf_citation_names_its_page(engine, tmp_path):
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for text in ("The orchard grows apples and pears on the south slope.",
                 "The mill was built of stone in 1820 beside the river.",
                 "The lighthouse keeper lit the lamp at dusk every evening."):
        pdf.add_page()
        pdf.multi_cell(0, 6, text)
    path = tmp_path / "village.pdf"
    pdf.output(str(path))
    answer = ask(load_document(path), engine, "When was the mill built?")
    assert answer.citations and answer.citations[0].page == 2
    assert "1820" in answer.citations[0].quote


@pytest.fixture(scope="module")
def reference():
    with tempfile.TemporaryDirectory() as tmp:
        return load_document(write_reference(Path(tmp)))


def test_a_60000_word_document_is_answered_within_one_context(engine, reference):
    assert reference.words >= 60000
    question = "What are lambda expressions used to create?"
    top5 = [p.block for _s, p in Index(passages_of(reference)).ranked(question)[:5]]
    assert block_with(reference, "used to create anonymous functions") in top5
    answer = ask(reference, engine, question)  # PromptTooLongError if it did not fit
    assert not answer.whole_document and 1 < answer.passages_considered < 2000
    assert answer.answer and answer.answer != DOES_NOT_SAY
    assert any("lambda" in c.heading for c in answer.citations)


def test_an_empty_question_or_document_is_refused_by_name(engine, tmp_path):
    doc = load_document(FIXTURES / "harbour-libreoffice.docx")
    with pytest.raises(WriterError, match="question is empty"):
        ask(doc, engine, "  ")
    empty = tmp_path / "empty.md"
    empty.write_text("# Only a title\n", encoding="utf-8")
    with pytest.raises(WriterError, match=r"empty\.md"):
        ask(load_document(empty), engine, "What is it about?")


def test_a_cancelled_question_says_so(engine):
    cancel = CancelToken()
    cancel.cancel()
    answer = ask(load_document(FIXTURES / "harbour-libreoffice.docx"), engine,
                 "How much did container traffic grow?", cancel=cancel)
    assert answer.cancelled


def test_cli_ask_json():
    proc = subprocess.run([sys.executable, "-m", "writer_app", "ask",
                           str(FIXTURES / "harbour-libreoffice.odt"),
                           "What do the cranes cost?", "--json"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert set(out) >= {"answer", "citations", "passages_considered"}
    assert out["citations"] and {"block", "page", "heading", "quote"} <= set(out["citations"][0])
    assert any("Cranes" in c["quote"] for c in out["citations"])
