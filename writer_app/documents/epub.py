"""EPUB: the spine's XHTML files in reading order.

Read by hand from the zip (container.xml, then the OPF): the common EPUB library,
EbookLib, is AGPL and cannot ship inside the desktop bundle. Every member goes through
the counted zip reader, and a chapter the spine lists twice is read once.
"""

from __future__ import annotations

import posixpath
from pathlib import Path

from lxml import etree

from writer_app.documents.html import read_html_chunks
from writer_app.documents.limits import BlockBudget, BoundedZip
from writer_app.documents.model import MAX_BLOCKS, Document, DocumentError

_NS = {
    "c": "urn:oasis:names:tc:opendocument:xmlns:container",
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
}
# container.xml and the package document are small; a book's OPF is tens of kilobytes.
_PACKAGE_BYTES = 8 * 2**20
_SAFE = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                        huge_tree=False, remove_comments=True, remove_pis=True)


def _xml(zf: BoundedZip, path: Path, name: str) -> etree._Element:
    data = zf.read(name, _PACKAGE_BYTES + 1)
    if len(data) > _PACKAGE_BYTES:
        raise DocumentError(path, f"is a damaged EPUB file ({name} is over "
                                  f"{_PACKAGE_BYTES // 2**20} MiB)")
    return etree.fromstring(data, _SAFE)


def load_epub(path: Path, budget: BlockBudget) -> Document:
    with BoundedZip(path) as zf:
        if "META-INF/container.xml" not in zf:
            raise DocumentError(path, "is a damaged EPUB file (META-INF/container.xml is "
                                      "missing)")
        container = _xml(zf, path, "META-INF/container.xml")
        rootfile = container.find(".//c:rootfile", _NS)
        if rootfile is None or not rootfile.get("full-path"):
            raise DocumentError(path, "is a damaged EPUB file (no package document)")
        opf_path = rootfile.get("full-path", "")
        if opf_path not in zf:
            raise DocumentError(path, f"is a damaged EPUB file ({opf_path} is listed but "
                                      "missing)")
        opf = _xml(zf, path, opf_path)
        base = posixpath.dirname(opf_path)
        manifest = {item.get("id"): item for item in opf.iterfind(".//opf:manifest/opf:item", _NS)}
        title_el = opf.find(".//dc:title", _NS)
        title = " ".join((title_el.text or "").split())[:1000] if title_el is not None else ""
        read: set[str] = set()
        for n, ref in enumerate(opf.iterfind(".//opf:spine/opf:itemref", _NS)):
            if n > MAX_BLOCKS:
                raise DocumentError(path, "is a damaged EPUB file (its spine lists more "
                                          f"than {MAX_BLOCKS:,} chapters)")
            item = manifest.get(ref.get("idref"))
            if item is None or "html" not in (item.get("media-type") or ""):
                continue
            name = posixpath.normpath(posixpath.join(base, item.get("href", "")))
            if name in read:
                continue  # listed again: the text is already in, once
            read.add(name)
            if name not in zf:
                raise DocumentError(path, f"is a damaged EPUB file ({name} is listed but "
                                          "missing)")
            read_html_chunks(zf.chunks(name), budget)
    return Document(path, "epub", title or path.stem, budget.blocks)
