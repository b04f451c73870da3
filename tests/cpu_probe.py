"""Run on a (possibly emulated) processor: its features and each CPU variant's score.

Prints one JSON object. Every variant is loaded and asked for its score, as llama.cpp
does when it chooses; a variant that faults on load would kill this process. Imports
neither numpy nor llama_cpp, so that nothing but the variants is on trial.
"""

import ctypes
import importlib.util
import json
from pathlib import Path

from writer_app.cpu_features import host_flags

spec = importlib.util.find_spec("llama_cpp")
lib = Path(next(iter(spec.submodule_search_locations))) / "lib"
ctypes.CDLL(str(lib / "libggml-base.so.0"))  # what each variant links to
scores = {}
for path in sorted(lib.glob("libggml-cpu-*.so")):
    variant = ctypes.CDLL(str(path))
    scores[path.name] = variant.ggml_backend_score()
print(json.dumps({"flags": sorted(host_flags() or ()), "scores": scores}))
