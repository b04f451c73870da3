"""Markdown to HTML through GitHub's cmark (the C library inside cmarkgfm), freeing what
it allocates.

cmarkgfm's own `markdown_to_html_with_extensions` frees neither the parsed tree nor the
HTML it renders: about 45 MB per MiB of Markdown, kept for as long as the app runs. Its
functions are called here in the same order, and the two are handed back to cmark's own
allocator through the library's exported `cmark_node_free` and
`cmark_get_default_mem_allocator` (cmarkgfm's binding leaves both out).
"""

from __future__ import annotations

import ctypes

from cmarkgfm import _cmark
from cmarkgfm.cmark import Options

_lib = _cmark.lib
_ffi = _cmark.ffi
# GitHub's Markdown without its tag filter: raw HTML is read like any page (a script is
# skipped), never shown as escaped text.
_OPTIONS = Options.CMARK_OPT_UNSAFE
_EXTENSIONS = (b"table", b"strikethrough", b"autolink", b"tasklist")


class _Allocator(ctypes.Structure):
    _fields_ = [("calloc", ctypes.c_void_p), ("realloc", ctypes.c_void_p),
                ("free", ctypes.CFUNCTYPE(None, ctypes.c_void_p))]


_so = ctypes.CDLL(_cmark.__file__)
_so.cmark_node_free.argtypes = [ctypes.c_void_p]
_so.cmark_node_free.restype = None
_so.cmark_get_default_mem_allocator.restype = ctypes.POINTER(_Allocator)
_free = _so.cmark_get_default_mem_allocator().contents.free
_lib.cmark_gfm_core_extensions_ensure_registered()
_extensions = [_lib.cmark_find_syntax_extension(name) for name in _EXTENSIONS]


def _address(pointer: object) -> int:
    return int(_ffi.cast("uintptr_t", pointer))


def markdown_to_html(text: str) -> bytes:
    """The HTML (UTF-8) of GitHub-flavoured Markdown; a lone surrogate becomes "?"."""
    data = text.encode("utf-8", "replace")
    parser = _lib.cmark_parser_new(_OPTIONS)
    try:
        for extension in _extensions:
            _lib.cmark_parser_attach_syntax_extension(parser, extension)
        _lib.cmark_parser_feed(parser, data, len(data))
        del data
        root = _lib.cmark_parser_finish(parser)
        try:
            raw = _lib.cmark_render_html(root, _OPTIONS,
                                         _lib.cmark_parser_get_syntax_extensions(parser))
            try:
                return bytes(_ffi.string(raw))
            finally:
                _free(_address(raw))
        finally:
            _so.cmark_node_free(_address(root))
    finally:
        _lib.cmark_parser_free(parser)
