"""Small files built to cost a reader gigabytes or minutes, one maker per class of attack.

Each maker writes its file into `folder` and returns the path. They are built by hand
(zipfile, plain bytes) so that each holds exactly the trick it is named for.
"""

from __future__ import annotations

import random
import zipfile
from pathlib import Path

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
DOCX_TYPES = (
    '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types"><Default Extension="xml" ContentType="application/xml"/><Override '
    'PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.wordprocessingml.document.main+xml"/></Types>')
DOCX_RELS = (
    '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
    '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
    '</Relationships>')
ODT_MIME = "application/vnd.oasis.opendocument.text"
ODT_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"')


def docx(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", DOCX_TYPES)
        zf.writestr("_rels/.rels", DOCX_RELS)
        zf.writestr("word/document.xml",
                    f'<?xml version="1.0"?><w:document xmlns:w="{W}"><w:body>{body}'
                    '</w:body></w:document>')
    return path


def odt(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), ODT_MIME)
        zf.writestr("META-INF/manifest.xml",
                    '<?xml version="1.0"?><manifest:manifest xmlns:manifest="urn:oasis:'
                    'names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry '
                    'manifest:full-path="/" manifest:media-type="' + ODT_MIME + '"/>'
                    '<manifest:file-entry manifest:full-path="content.xml" '
                    'manifest:media-type="text/xml"/></manifest:manifest>')
        zf.writestr("content.xml",
                    f'<?xml version="1.0"?><office:document-content {ODT_NS}>'
                    f'<office:body><office:text>{body}</office:text></office:body>'
                    '</office:document-content>')
    return path


def epub(folder: Path, name: str, spine: list[str], chapters: dict[str, str]) -> Path:
    path = folder / name
    items = "".join(f'<item id="{c}" href="{c}.xhtml" media-type="application/xhtml+xml"/>'
                    for c in chapters)
    refs = "".join(f'<itemref idref="{c}"/>' for c in spine)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip")
        zf.writestr("META-INF/container.xml",
                    '<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:'
                    'tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="'
                    'content.opf" media-type="application/oebps-package+xml"/></rootfiles>'
                    '</container>')
        zf.writestr("content.opf",
                    '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" '
                    f'version="3.0"><manifest>{items}</manifest><spine>{refs}</spine>'
                    '</package>')
        for c, body in chapters.items():
            zf.writestr(f"{c}.xhtml", f"<html><body>{body}</body></html>")
    return path


# --- 1. a zip member read whole before the bomb guard ----------------------------------

def mimetype_bomb(folder: Path, inflated: int = 2**30) -> Path:
    """An EPUB whose `mimetype` member names the type, then inflates to `inflated`
    bytes of spaces."""
    path = folder / "bomb.epub"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf, \
            zf.open("mimetype", "w", force_zip64=True) as member:
        member.write(b"application/epub+zip")
        chunk = b" " * 2**24
        for _ in range(inflated // len(chunk)):
            member.write(chunk)
    return path


# --- 2. files that expand into huge text ----------------------------------------------

def odt_space_run(folder: Path) -> Path:
    return odt(folder, "spaces.odt", '<text:p>a<text:s text:c="3000000000"/>b</text:p>' * 4)


def docx_huge_ilvl(folder: Path) -> Path:
    para = (f'<w:p><w:pPr><w:numPr><w:ilvl w:val="{2**62}"/><w:numId w:val="1"/></w:numPr>'
            '</w:pPr><w:r><w:t>item</w:t></w:r></w:p>')
    return docx(folder, "ilvl.docx", para * 3)


def docx_deep_ilvl(folder: Path) -> Path:
    """A list level that a Markdown export turns into megabytes of indentation."""
    para = ('<w:p><w:pPr><w:numPr><w:ilvl w:val="400000000"/><w:numId w:val="1"/>'
            '</w:numPr></w:pPr><w:r><w:t>item</w:t></w:r></w:p>')
    return docx(folder, "deep-ilvl.docx", para * 20)


def docx_grid_span(folder: Path) -> Path:
    cell = ('<w:tc><w:tcPr><w:gridSpan w:val="200000"/></w:tcPr><w:p><w:r><w:t>cell'
            '</w:t></w:r></w:p></w:tc>')
    row = "<w:tr>" + cell * 5 + "</w:tr>"
    return docx(folder, "span.docx", "<w:tbl><w:tblGrid/>" + row * 40 + "</w:tbl>")


def epub_repeated_spine(folder: Path) -> Path:
    chapter = "<p>" + "A long chapter of prose. " * 4000 + "</p>"
    return epub(folder, "spine.epub", ["c1"] * 5000, {"c1": chapter})


def pdf_repeated_page(folder: Path, copies: int = 1_000_000) -> Path:
    """A page tree whose Kids list one page `copies` times."""
    content = b"BT /F1 12 Tf 72 720 Td (A page of text) Tj ET"
    kids = b" ".join([b"3 0 R"] * copies)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count " + str(copies).encode() + b" >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content
        + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n"
            "%%EOF\n").encode()
    path = folder / "pages.pdf"
    path.write_bytes(bytes(out))
    return path


# --- 3. HTML that costs many times its size --------------------------------------------

def repeated(path: Path, head: bytes, unit: bytes, tail: bytes, mib: int) -> Path:
    """`unit` written over and over between `head` and `tail`: about `mib` MiB."""
    with path.open("wb") as f:
        f.write(head)
        for _ in range(mib * 2**20 // len(unit)):
            f.write(unit)
        f.write(tail)
    return path


# Dense markup: many small cells, the costliest shape for a tree.
TABLE_CELL = b"<tr><td>a</td><td>b</td><td><b>c</b></td></tr>"


def big_html(folder: Path, mib: int = 20) -> Path:
    return repeated(folder / "big.html", b"<html><body><table>", TABLE_CELL,
                    b"</table></body></html>", mib)


# --- 4. a zip that lies about its sizes -------------------------------------------------

def lying_docx(folder: Path) -> Path:
    """A DOCX whose central directory claims document.xml is 30 times smaller than it
    inflates to, while it really inflates 1000:1."""
    path = docx(folder, "liar.docx",
                "<w:p><w:r><w:t>" + "a " * (30 * 2**20) + "</w:t></w:r></w:p>")
    with zipfile.ZipFile(path, "a") as zf:  # room behind it for the claimed size
        zf.writestr("word/media/noise.bin", random.Random(13).randbytes(3 * 2**20))
    data = bytearray(path.read_bytes())
    signature = b"PK\x01\x02"
    at = data.find(signature)
    while at >= 0:
        name_len = int.from_bytes(data[at + 28:at + 30], "little")
        if bytes(data[at + 46:at + 46 + name_len]) == b"word/document.xml":
            # The compressed size (offset 20 of a central directory header).
            data[at + 20:at + 24] = (2 * 2**20).to_bytes(4, "little")
        at = data.find(signature, at + 4)
    path.write_bytes(bytes(data))
    return path


# --- 7. deep Markdown ------------------------------------------------------------------

def deep_markdown(folder: Path, levels: int = 12) -> Path:
    lines = [f"{'  ' * i}- level {i}" for i in range(levels)]
    path = folder / "outline.md"
    path.write_text("# Outline\n\n" + "\n".join(lines)
                    + "\n\nThe closing paragraph must survive.\n", encoding="utf-8")
    return path


# --- 11. smaller ones ------------------------------------------------------------------

def unclosed_font_tags(folder: Path, count: int = 1000) -> Path:
    path = folder / "sloppy.html"
    path.write_text("<html><body>" + "<font color=red>word " * count
                    + "<p>The end.</p></body></html>", encoding="utf-8")
    return path


def text_mentioning_pdf(folder: Path) -> Path:
    path = folder / "notes.txt"
    path.write_text("Notes on file formats.\n\nA PDF starts with the bytes %PDF-1.7 and "
                    "then objects.\n", encoding="utf-8")
    return path
