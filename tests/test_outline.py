"""The outline shown at once for a dropped document, without the model: every section,
each with its most central sentences (sumy's LexRank, with a tokenizer of our own)."""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

from writer_app.documents.model import Block, Document
from writer_app.engine.types import CancelToken
from writer_app.tasks.outline import outline, sentences_of, split_sections

WHALES = ("Blue whales are the largest animals ever known. Blue whales feed on krill in cold "
          "seas. A blue whale eats tonnes of krill a day in summer. Whales dive deep to find "
          "krill swarms. Krill gather in huge swarms near the surface at night. The whales "
          "follow the krill swarms for months. Cats sleep. Blue whales migrate to warm seas "
          "to breed.")
BREAD = ("Bread is made from flour, water and yeast. The yeast makes the bread dough rise. "
         "Bakers knead the dough to build gluten. Gluten gives bread its chewy texture. "
         "Sourdough bread rises with wild yeast instead. The dough rests for hours before "
         "baking. Trains were late today. Bread bakes in a hot oven until brown.")


def doc_of(*sections: tuple[str, str], title: str = "") -> Document:
    blocks = [Block("heading", title, 1)] if title else []
    for heading, text in sections:
        blocks.append(Block("heading", heading, 2))
        blocks.extend(Block("paragraph", p) for p in text.split("\n\n"))
    return Document(Path("notes.md"), "markdown", title or "Notes", blocks)


def test_every_section_is_there_in_order_with_its_central_sentences():
    doc = doc_of(("Whales", WHALES), ("Bread", BREAD), ("Short", "One line only."),
                 title="Two topics")
    result = outline(doc, per_section=2)
    assert [s.heading for s in result.sections] == ["Whales", "Bread", "Short"]
    whales, bread, short = result.sections
    assert len(whales.sentences) == 2 and whales.total_sentences == 8
    assert all(s in WHALES for s in whales.sentences)
    assert "Cats sleep." not in whales.sentences
    assert all("krill" in s or "whale" in s.lower() for s in whales.sentences)
    assert "Trains were late today." not in bread.sentences
    assert all("bread" in s.lower() or "dough" in s.lower() for s in bread.sentences)
    assert short.sentences == ["One line only."]
    # In the document's order.
    assert whales.sentences == sorted(whales.sentences, key=WHALES.index)
    text = result.markdown()
    assert text.index("## Whales") < text.index("## Bread") < text.index("## Short")
    assert result.language == "en" and not result.cancelled


def test_a_lone_top_heading_is_a_title_and_a_document_without_headings_is_cut_in_parts():
    doc = doc_of(("Whales", WHALES), ("Bread", BREAD), title="Title")
    assert [s.heading for s in split_sections(doc)] == ["Whales", "Bread"]
    long_text = Document(Path("plain.txt"), "text", "plain",
                         [Block("paragraph", f"{WHALES} {BREAD}") for _ in range(40)])
    sections = split_sections(long_text)
    assert len(sections) > 1 and sections[0].heading == f"Part 1 of {len(sections)}"
    assert sections[0].first_block == 0 and sections[-1].end_block == 40
    assert all(a.end_block == b.first_block for a, b in itertools.pairwise(sections))
    result = outline(long_text)
    assert all(len(s.sentences) == 2 for s in result.sections)


def test_sentences_end_at_stops_not_at_initials_or_abbreviations():
    assert sentences_of("Dr. Smith met J. R. Tolkien in 1937. They talked, e.g. about "
                        "elves. Was it late? Yes!") == [
        "Dr. Smith met J. R. Tolkien in 1937.", "They talked, e.g. about elves.",
        "Was it late?", "Yes!"]
    long = "word " * 300
    assert all(len(s) <= 400 for s in sentences_of(long))


def test_repeated_sentences_and_empty_documents():
    repeated = doc_of(("Same", " ".join(["The same sentence again."] * 12)))
    assert outline(repeated).sections[0].sentences == ["The same sentence again."] * 2
    empty = Document(Path("empty.md"), "markdown", "empty", [])
    assert outline(empty).sections == []
    cancel = CancelToken()
    cancel.cancel()
    stopped = outline(doc_of(("Whales", WHALES)), cancel=cancel)
    assert stopped.cancelled and stopped.sections[0].sentences == []


def test_the_outline_needs_no_nltk_data_and_no_network(tmp_path):
    # A fresh process, with NLTK pointed at an empty folder: nothing is downloaded.
    code = ("import sys; from writer_app.tasks.outline import outline; "
            "from tests.test_outline import doc_of, WHALES; "
            "print(outline(doc_of(('Whales', WHALES))).sections[0].sentences)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=Path(__file__).resolve().parent.parent,
                          env={"NLTK_DATA": str(tmp_path), "PATH": "/usr/bin:/bin",
                               "HOME": str(tmp_path), "PYTHONPATH":
                               str(Path(__file__).resolve().parent / "netblock")})
    assert proc.returncode == 0, proc.stderr
    assert "whale" in proc.stdout.lower()


def test_the_cli_prints_the_outline_without_a_model(tmp_path):
    source = tmp_path / "topics.md"
    source.write_text(f"# Whales\n\n{WHALES}\n\n# Bread\n\n{BREAD}\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "writer_app", "summarize", str(source),
                           "--outline", "--model", "no-such-model"], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("## Whales\n- ") and "\n## Bread\n- " in proc.stdout
    empty = tmp_path / "empty.md"
    empty.write_text("# Only a heading\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "writer_app", "summarize", str(empty),
                           "--outline"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "has no text to outline" in proc.stderr


def test_each_block_is_placed_in_the_part_that_reads_it():
    from writer_app.tasks.splitter import part_of_each_block, split

    long_text = " ".join(f"Sentence {i} of the long section goes on." for i in range(60))
    doc = doc_of(("Whales", WHALES), ("Bread", BREAD), ("Long", long_text))
    doc.blocks.insert(2, Block("page_break"))
    parts = split(doc.blocks, 60, lambda text: len(text.split()))
    owner = part_of_each_block(doc.blocks, parts)
    assert len(owner) == len(doc.blocks) and owner == sorted(owner)
    assert owner[0] == 0 and owner[-1] < len(parts)
    for p, part in enumerate(parts):
        for piece in part.blocks:
            if any(piece is b for b in doc.blocks):  # a whole block: placed where read
                assert owner[next(i for i, b in enumerate(doc.blocks) if b is piece)] == p
    # The long paragraph was cut in pieces over several parts: placed with its first.
    long_block = doc.blocks[-1]
    holders = [p for p, part in enumerate(parts)
               if any(b is not long_block and b.text in long_block.text for b in part.blocks
                      if b.kind == "paragraph")]
    assert len(holders) > 1 and owner[-1] == holders[0]


def test_a_compressed_document_keeps_every_section_and_its_central_sentences():
    from writer_app.tasks.outline import compressed

    sections = [(f"Topic {i}", f"{WHALES} {BREAD}" if i % 2 else f"{BREAD} {WHALES}")
                for i in range(30)]
    doc = doc_of(*sections)
    total = sum(len(b.text) for b in doc.blocks if b.kind != "heading")
    short = compressed(doc, total // 5)
    kept = sum(len(b.text) for b in short.blocks if b.kind != "heading")
    assert total // 10 < kept <= total // 5 + 200
    # Block for block: the parts that read it map back onto the document.
    assert len(short.blocks) == len(doc.blocks)
    assert [b.kind for b in short.blocks] == [b.kind for b in doc.blocks]
    assert [b.text for b in short.blocks if b.kind == "heading"] == [h for h, _ in sections]
    for original, cut in zip(doc.blocks, short.blocks, strict=True):
        if cut.kind == "paragraph":
            assert cut.text, "a section lost all its sentences"
            assert all(s in original.text for s in sentences_of(cut.text))
            assert "Cats sleep." not in cut.text and "Trains were late today." not in cut.text
    assert compressed(doc, total + 1) is doc  # short enough already


def test_a_paged_document_without_headings_is_cut_by_its_pages():
    # A PDF's text comes with page breaks and no headings: its sections, and the parts a
    # summary reads, are named by their pages, not "Part 3 of 38" inside "Part 1 of 6".
    from writer_app.tasks.splitter import split
    from writer_app.tasks.summarize import plan_of

    blocks: list[Block] = []
    for _page in range(30):
        blocks += [Block("paragraph", WHALES), Block("paragraph", BREAD), Block("page_break")]
    doc = Document(Path("report.pdf"), "pdf", "report", blocks, pages=30)
    sections = split_sections(doc)
    assert len(sections) > 2 and sections[0].heading.startswith("Pages 1\u2013")
    assert sections[-1].heading.endswith("\u201330")
    plan = plan_of(doc, split(doc.blocks, 600, lambda text: len(text.split())))
    assert len(plan.labels) > 2 and plan.labels[0].startswith("Pages 1\u2013")
    assert plan.labels[-1].endswith("\u201330") and not any("Part" in x for x in plan.labels)
    # A block a compressed document emptied holds no page.
    from writer_app.documents.model import block_pages, pages_label

    pages = block_pages(blocks)
    assert pages is not None and pages[3] == 2 and pages[2] == 1  # the break ends page 1
    emptied = [*blocks[:3], Block("paragraph", ""), *blocks[4:]]
    assert pages_label(emptied, pages, range(0, 5)) == "Pages 1\u20132"
    assert pages_label(emptied, pages, range(0, 4)) == "Page 1"
    # Without page breaks: numbered parts, as before.
    plain = Document(Path("report.txt"), "text", "report",
                     [b for b in blocks if b.kind != "page_break"])
    assert split_sections(plain)[0].heading.startswith("Part 1 of ")


def test_a_budget_reads_less_and_still_every_section(engine):
    from writer_app.tasks.summarize import READ_TOKENS, summarize

    doc = doc_of(*[(f"Topic {i}", " ".join([WHALES, BREAD] * 3)) for i in range(24)])
    assert engine.count_tokens(doc.text()) > 2 * READ_TOKENS["quick"]
    plans = []
    result = summarize(doc, engine, "short", budget="quick", on_plan=plans.append)
    assert result.read_share < 0.6 and result.summary
    assert result.input_tokens < 1.3 * READ_TOKENS["quick"]
    # Every section is still read: each heading is in some part.
    labels = " ".join(plans[0].labels)
    assert "Topic 0" in labels and "Topic 23" in labels


def test_coverage_counts_the_sections_a_summary_speaks_of():
    from writer_app.tasks.outline import coverage

    doc = doc_of(("Whales", WHALES), ("Bread", BREAD), ("Trains", "Trains run on rails. "
                 "Railway stations sell tickets. Trains carry passengers between towns."))
    assert coverage(doc, "") == 0.0
    assert coverage(doc, "Blue whales eat krill.") == 1 / 3
    assert coverage(doc, "Whales eat krill; bakers knead dough; trains carry passengers.") \
        == 1.0
    # A stem counts: "whale" for the section's "whales".
    assert coverage(doc, "A whale.") == 1 / 3
