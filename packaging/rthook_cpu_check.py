"""Runs first in the bundle, before PyInstaller's Qt hook loads QtCore, which aborts
(a core dump) on a processor below its baseline: say what is missing instead."""

import sys

from writer_app.cpu_features import baseline_problem

_problem = baseline_problem()
if _problem:
    print(f"writer-app: error: {_problem}", file=sys.stderr)
    sys.exit(1)
