"""Split a document into parts that each fit a token budget, cutting on structure.

Headings first (a section stays whole when it fits), then paragraphs, then sentences,
then words. Every block's text lands in exactly one part, in order.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from writer_app.documents.model import Block

CountTokens = Callable[[str], int]
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=\S)")


@dataclass
class Part:
    blocks: list[Block] = field(default_factory=list)
    tokens: int = 0

    def text(self) -> str:
        return "\n\n".join(b.marked() for b in self.blocks)


def _sections(blocks: list[Block]) -> list[list[Block]]:
    sections: list[list[Block]] = []
    for b in blocks:
        if b.kind == "page_break" or not b.text.strip():
            continue
        if b.kind == "heading" or not sections:
            sections.append([b])
        else:
            sections[-1].append(b)
    return sections


def _pieces_of(block: Block, budget: int, count: CountTokens) -> list[Block]:
    """A block cut into sentences, or runs of words, each under the budget."""
    pieces: list[Block] = []
    for sentence in _SENTENCE.split(block.text):
        if count(sentence) <= budget:
            pieces.append(Block(block.kind, sentence, block.level))
            continue
        words = sentence.split()
        run: list[str] = []
        for word in words:
            if run and count(" ".join([*run, word])) > budget:
                pieces.append(Block(block.kind, " ".join(run), block.level))
                run = []
            run.append(word)
        if run:
            pieces.append(Block(block.kind, " ".join(run), block.level))
    return pieces


def split(blocks: list[Block], budget: int, count: CountTokens) -> list[Part]:
    """Parts of at most `budget` tokens (as counted by `count`, plus a separator each)."""
    if budget < 8:
        raise ValueError(f"a token budget of {budget} is too small to split on")
    parts: list[Part] = [Part()]
    sep = 2  # the blank line between blocks

    def add(block: Block, tokens: int) -> None:
        if parts[-1].blocks and parts[-1].tokens + tokens > budget:
            parts.append(Part())
        parts[-1].blocks.append(block)
        parts[-1].tokens += tokens

    for section in _sections(blocks):
        sized = [(b, count(b.marked()) + sep) for b in section]
        total = sum(t for _, t in sized)
        if total <= budget:
            # Keep a section whole: start a new part rather than split it.
            if parts[-1].blocks and parts[-1].tokens + total > budget:
                parts.append(Part())
            for b, t in sized:
                add(b, t)
            continue
        for b, t in sized:
            if t <= budget:
                add(b, t)
            else:
                for piece in _pieces_of(b, budget - sep - 4, count):
                    add(piece, count(piece.marked()) + sep)
    return [p for p in parts if p.blocks]



def part_of_each_block(blocks: list[Block], parts: list[Part]) -> list[int]:
    """The index of the part that holds each block (its first piece, for a block cut in
    pieces); blocks left out (page breaks, empty ones) go with the part before them."""
    owner = [0] * len(blocks)
    i = 0
    words_seen = 0  # of block i, cut in pieces

    def skip_left_out() -> None:
        nonlocal i
        while i < len(blocks) and (blocks[i].kind == "page_break"
                                   or not blocks[i].text.strip()):
            owner[i] = owner[i - 1] if i else 0
            i += 1

    for p, part in enumerate(parts):
        for piece in part.blocks:
            skip_left_out()
            if i >= len(blocks):
                break
            if piece is blocks[i]:
                owner[i] = p
                i += 1
                continue
            # A piece of a block cut in pieces: the block ends with its last word.
            if words_seen == 0:
                owner[i] = p
            words_seen += len(piece.text.split())
            if words_seen >= len(blocks[i].text.split()):
                words_seen = 0
                i += 1
    for j in range(i, len(blocks)):
        owner[j] = owner[j - 1] if j else 0
    return owner
