"""Hostile GGUF headers, built byte by byte: each is refused (or read) within bounds, in a
child process, with a message that says what is wrong. Discovery reads every header in
the user's folders, so one bad file must cost milliseconds, not minutes."""

import struct

import pytest

from writer_app.engine import gguf_file
from writer_app.engine.errors import ModelFileError
from writer_app.engine.model_info import read_model_info

from .bounded import run_bounded

U8, U32, STRING, ARRAY = 0, 4, 8, 9
F32 = 0  # ggml type


def s(text: str | bytes) -> bytes:
    data = text.encode() if isinstance(text, str) else text
    return struct.pack("<Q", len(data)) + data


def kv(key: str, vtype: int, payload: bytes) -> bytes:
    return s(key) + struct.pack("<I", vtype) + payload


def string_array(key: str, n: int, item: bytes = b"") -> bytes:
    return kv(key, ARRAY, struct.pack("<IQ", STRING, n) + s(item) * n)


def tensor(name: str) -> bytes:
    """One F32 element at data offset 0 (tensors may share bytes; the check is the size)."""
    return s(name) + struct.pack("<IQIQ", 1, 1, F32, 0)


def gguf(n_tensors: int, n_kv: int, body: bytes = b"", tail: bytes = b"\0" * 64) -> bytes:
    return b"GGUF" + struct.pack("<IQQ", 3, n_tensors, n_kv) + body + tail


def arch() -> bytes:
    return kv("general.architecture", STRING, s("llama"))


def refusal(path: str, limits: dict | None = None) -> str:
    """The reason read_model_info gives for the file, or "accepted: ..."; run in a child.
    `limits` lowers module limits, to test a budget without a file of hundreds of MB."""
    for name, value in (limits or {}).items():
        setattr(gguf_file, name, value)
    try:
        info = read_model_info(__import__("pathlib").Path(path))
    except ModelFileError as exc:
        return exc.reason
    return f"accepted: {info.parameters} parameters, template {info.has_chat_template}"


CASES = {
    "ten million tensors": (gguf(10_000_000, 0), "claims 10000000 tensors; Writer reads at "
                                                  "most 65536"),
    "one tensor too many": (gguf(gguf_file.MAX_TENSORS + 1, 0), "claims 65537 tensors"),
    "2**62 metadata entries": (gguf(1, 2**62), "claims 4611686018427387904 metadata "
                                               "entries"),
    "a key of 2**63 bytes": (gguf(1, 1, struct.pack("<Q", 2**63)),
                             "is truncated: a metadata key of 9223372036854775808 bytes runs "
                             "past the end"),
    "a key of 300 bytes": (gguf(1, 1, kv("k" * 300, U32, b"\0" * 4)),
                           "is malformed: a metadata key is 300 bytes long"),
    "a value of 2**63 bytes": (gguf(1, 1, s("x") + struct.pack("<IQ", STRING, 2**63)),
                               "a string of 9223372036854775808 bytes runs past the end"),
    "an array of 2**40 bytes": (gguf(1, 1, s("x") + struct.pack("<IIQ", ARRAY, U8, 2**40)),
                                "claims 1099511627776 items in the array x"),
    "an array of 2**40 strings": (gguf(1, 1, s("x") + struct.pack("<IIQ", ARRAY, STRING,
                                                                  2**40)),
                                  "claims 1099511627776 items in the array x"),
    "a string in an array claims 2**63 bytes": (
        gguf(1, 1, s("x") + struct.pack("<IIQ", ARRAY, STRING, 100) + s("a") * 99
             + struct.pack("<Q", 2**63)),
        "is truncated: a string of 9223372036854775808 bytes runs past the end"),
    "nested arrays": (gguf(1, 1, s("x") + struct.pack("<IIQ", ARRAY, ARRAY, 2**40)),
                      "is malformed: nested array in x"),
    "an unknown value type": (gguf(1, 1, s("x") + struct.pack("<I", 77)),
                              "unknown metadata value type 77"),
    "a tensor of 2**32 dimensions": (gguf(1, 0, s("t") + struct.pack("<I", 2**32 - 1)),
                                     "tensor t claims 4294967295 dimensions"),
    "a tensor name of 2**63 bytes": (gguf(1, 0, struct.pack("<Q", 2**63)),
                                     "a tensor name of 9223372036854775808 bytes runs past"),
    "a tensor of 2**64-1 elements": (
        gguf(1, 0, s("t") + struct.pack("<IQQIQ", 2, 2**64 - 1, 2**64 - 1, F32, 0)),
        "is truncated: its tensors need"),
}


@pytest.mark.parametrize("name", CASES)
def test_a_hostile_header_is_refused_in_milliseconds(tmp_path, name):
    data, reason = CASES[name]
    path = tmp_path / "hostile.gguf"
    path.write_bytes(data)
    outcome = run_bounded("tests.test_gguf_bounds:refusal", str(path))
    assert outcome.ok, outcome.traceback
    assert reason in str(outcome.value), outcome.value
    outcome.within_bounds(seconds=0.5, memory_mb=256)


def test_the_tensor_cap_is_read_quickly(tmp_path):
    """65,536 tiny tensor records (the most we read) parse in a fraction of a second."""
    n = gguf_file.MAX_TENSORS
    path = tmp_path / "many.gguf"
    path.write_bytes(gguf(n, 1, arch() + b"".join(tensor(f"t{i}") for i in range(n))))
    outcome = run_bounded("tests.test_gguf_bounds:refusal", str(path))
    assert outcome.value == f"accepted: {n} parameters, template False"
    outcome.within_bounds(seconds=2, memory_mb=256)


def test_a_vocabulary_at_the_array_cap_is_skipped_quickly(tmp_path):
    """4 Mi empty strings (16 times the largest vocabulary, a 32 MiB file) are walked, not
    kept; one more item is refused."""
    n = gguf_file.MAX_ARRAY_ITEMS
    path = tmp_path / "vocab.gguf"
    path.write_bytes(gguf(1, 2, arch() + string_array("tokenizer.ggml.tokens", n),
                          tensor("t") + b"\0" * 64))
    outcome = run_bounded("tests.test_gguf_bounds:refusal", str(path))
    assert outcome.value == "accepted: 1 parameters, template False"
    outcome.within_bounds(seconds=3, memory_mb=256)
    path.write_bytes(gguf(1, 1, string_array("tokenizer.ggml.tokens", n + 1)))
    assert refusal(str(path)) == (
        f"is malformed: it claims {n + 1} items in the array tokenizer.ggml.tokens; Writer "
        f"reads at most {n}, far more than any real model has")


def test_the_strings_of_all_arrays_together_are_bounded(tmp_path):
    """Many arrays each under the cap still add up to a budget (lowered here to 1,000)."""
    body = arch() + b"".join(string_array(f"a{i}", 300) for i in range(4))
    path = tmp_path / "arrays.gguf"
    path.write_bytes(gguf(1, 5, body, tensor("t") + b"\0" * 64))
    accepted = run_bounded("tests.test_gguf_bounds:refusal", str(path), {"MAX_STRINGS": 2000})
    assert str(accepted.value).startswith("accepted")
    outcome = run_bounded("tests.test_gguf_bounds:refusal", str(path), {"MAX_STRINGS": 1000})
    assert outcome.value == ("is malformed: it holds more than 1000 strings, far more than "
                             "any real model has")


def test_long_string_values_are_skipped_not_kept(tmp_path):
    """A 2 MiB "chat template" is not kept in memory; the model is still listed."""
    template = kv("tokenizer.chat_template", STRING, s(b"{{ x }}" * 300_000))
    path = tmp_path / "long.gguf"
    path.write_bytes(gguf(1, 2, arch() + template, tensor("t") + b"\0" * 64))
    info = read_model_info(path)
    assert info.chat_template is None and not info.has_chat_template
    assert info.architecture == "llama"
    short = kv("tokenizer.chat_template", STRING, s("{{ x }}"))
    path.write_bytes(gguf(1, 2, arch() + short, tensor("t") + b"\0" * 64))
    assert read_model_info(path).chat_template == "{{ x }}"
