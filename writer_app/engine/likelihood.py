"""How likely a model finds each of several endings of one text: the sum of the log
probabilities (natural log) of the ending's tokens after the text before it.

The endings are tokenized together with the text before them, since a token can span
the join ("the" + "ir" is one token "their"), and scored from the first token where
they differ: each score is then the log probability of the same stretch of text under
another reading, and the scores compare.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# The longest stretch scored; the text before it is cut from the left to fit.
MAX_ENDING_TOKENS = 256
# A model that adds no beginning-of-text token gets this text before the text scored,
# so that even the first token is predicted from something.
NO_BOS_START = "\n"


def prepare(token_lists: Sequence[Sequence[int]],
            context_length: int) -> tuple[list[list[int]], int]:
    """The lists, cut to fit `context_length` tokens, and the index of the first token to
    score in each: the first where they differ (their first token being the start of the
    text, it is never scored). An ending takes at most half the room."""
    shortest = min(len(t) for t in token_lists)
    start = 1
    while start < shortest - 1 and len({t[start] for t in token_lists}) == 1:
        start += 1
    longest = min(MAX_ENDING_TOKENS, max(1, context_length // 2))
    endings = [list(t[start:start + longest]) for t in token_lists]
    head = list(token_lists[0][:start])
    room = context_length - max(len(e) for e in endings)
    if len(head) > room:
        head = head[:1] + head[len(head) - room + 1:]
    return [head + e for e in endings], len(head)


def log_probability(logits: np.ndarray, tokens: Sequence[int]) -> float:
    """The sum over rows of log softmax(row)[token]: row i holds the logits that predict
    tokens[i]."""
    rows = logits.astype(np.float64)
    top = rows.max(axis=1, keepdims=True)
    norm = top[:, 0] + np.log(np.exp(rows - top).sum(axis=1))
    return float((rows[np.arange(len(tokens)), list(tokens)] - norm).sum())
