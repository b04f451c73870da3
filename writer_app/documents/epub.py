"""EPUB: the spine's XHTML files in reading order.

Read by hand from the zip (container.xml, then the OPF): the common EPUB library,
EbookLib, is AGPL and cannot ship inside the desktop bundle.
"""

from __future__ import annotations

import posixpath
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

from writer_app.documents.html import html_blocks
from writer_app.documents.model import Block, Document, DocumentError

_NS = {
    "c": "urn:oasis:names:tc:opendocument:xmlns:container",
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
}


def load_epub(path: Path) -> Document:
    with zipfile.ZipFile(path) as zf:
        try:
            container = ET.fromstring(zf.read("META-INF/container.xml"))
        except KeyError:
            raise DocumentError(path, "is a damaged EPUB file (META-INF/container.xml is "
                                      "missing)") from None
        rootfile = container.find(".//c:rootfile", _NS)
        if rootfile is None or not rootfile.get("full-path"):
            raise DocumentError(path, "is a damaged EPUB file (no package document)")
        opf_path = rootfile.get("full-path", "")
        opf = ET.fromstring(zf.read(opf_path))
        base = posixpath.dirname(opf_path)
        manifest = {item.get("id"): item for item in opf.iterfind(".//opf:manifest/opf:item", _NS)}
        title_el = opf.find(".//dc:title", _NS)
        title = (title_el.text or "").strip() if title_el is not None else ""
        blocks: list[Block] = []
        for ref in opf.iterfind(".//opf:spine/opf:itemref", _NS):
            item = manifest.get(ref.get("idref"))
            if item is None or "html" not in (item.get("media-type") or ""):
                continue
            name = posixpath.normpath(posixpath.join(base, item.get("href", "")))
            try:
                markup = zf.read(name)
            except KeyError:
                raise DocumentError(path, f"is a damaged EPUB file ({name} is listed but "
                                          "missing)") from None
            blocks.extend(html_blocks(markup)[1])
    return Document(path, "epub", title or path.stem, blocks)
