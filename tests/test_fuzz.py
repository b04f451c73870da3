"""A seeded fuzz pass over every loader (tests/fuzz.py), in a child process held to the
bounds of issue 13: a failure names its seed and mutant, so it reproduces with
`python -m tests.fuzz --seed SEED --count COUNT`. `make fuzz` runs a longer pass."""

import os

from .bounded import run_bounded

SEED = int(os.environ.get("FUZZ_SEED", "13"))
COUNT = int(os.environ.get("FUZZ_COUNT", "3000"))


def test_mutated_fixtures_load_or_are_refused_within_bounds(tmp_path):
    outcome = run_bounded("tests.fuzz:run", SEED, COUNT, str(tmp_path),
                          timeout=max(60.0, COUNT / 50))
    assert outcome.ok, f"{outcome.type}: {outcome.message} (seed {SEED})"
    result = outcome.value
    assert isinstance(result, dict)
    assert result["failures"] == [], f"seed {SEED}: {result['failures']}"
    assert result["refused"] > 0  # the mutants do reach the error paths
    assert result["worst_seconds"] < 10, f"seed {SEED}: {result['worst_case']}"
    assert outcome.peak_mb <= 512, f"peak {outcome.peak_mb:.0f} MB, seed {SEED}"
