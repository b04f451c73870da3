"""The entry point of `writer-app`, `python -m writer_app` and the bundle.

The processor is checked before anything compiled is imported: numpy, Qt and llama.cpp
each die with an illegal instruction (a core dump, no message) below their baseline.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from writer_app.cpu_features import baseline_problem


def main(argv: Sequence[str] | None = None) -> int:
    problem = baseline_problem()
    if problem:
        print(f"writer-app: error: {problem}", file=sys.stderr)
        return 1
    from writer_app.cli import main as cli_main

    return cli_main(argv)
