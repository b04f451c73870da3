"""Small files the tests make with real tools."""

from pathlib import Path

import numpy as np
from gguf import GGUFWriter


def write_tiny_gguf(path: Path, arch: str = "llama") -> None:
    """A valid GGUF (written by the gguf package) that holds no usable model."""
    w = GGUFWriter(str(path), arch)
    w.add_context_length(128)
    w.add_tensor("token_embd.weight", np.zeros((16, 8), dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
