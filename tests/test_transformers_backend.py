"""The transformers backend on CPU: the default GGUF through transformers, a tiny model
folder made here with random weights, and the folders it must refuse."""

import json
import subprocess
import sys
import threading

import pytest

from writer_app.engine.engine import Engine
from writer_app.engine.errors import EngineError, ModelFileError
from writer_app.engine.model_folder import check_model_folder
from writer_app.engine.transformers_backend import choose_device
from writer_app.engine.types import (
    CancelToken,
    ChatMessage,
    EngineConfig,
    GenerationRequest,
    SamplingOptions,
)

pytestmark = pytest.mark.slow
TRANSFORMERS = EngineConfig(backend="transformers", device="cpu")


@pytest.fixture(scope="session")
def tiny_folder(tmp_path_factory, hf_engine):
    """A small Llama with random weights, saved as safetensors with a real tokenizer."""
    from transformers import LlamaConfig, LlamaForCausalLM

    folder = tmp_path_factory.mktemp("tiny-llama")
    tok = hf_engine.backend.tokenizer
    config = LlamaConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64,
                         num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=1,
                         max_position_embeddings=512, bos_token_id=tok.bos_token_id,
                         eos_token_id=tok.eos_token_id)
    LlamaForCausalLM(config).save_pretrained(folder, safe_serialization=True)
    tok.save_pretrained(folder)
    return folder


def test_gguf_through_transformers_streams(hf_engine):
    pieces = []
    result = hf_engine.generate(GenerationRequest(
        messages=[ChatMessage("user", "Name three colours.")],
        options=SamplingOptions(temperature=0.0, max_tokens=16)), pieces.append)
    assert len(pieces) > 3 and "".join(pieces) == result.text and result.text.strip()
    assert result.completion_tokens <= 16
    assert hf_engine.context_length == 8192
    assert hf_engine.device.device == "cpu" and "CPU, fp32" in hf_engine.device.reason


def test_same_chat_prompt_as_llama_cpp(hf_engine, engine):
    request = GenerationRequest(messages=[ChatMessage("system", "Be brief."),
                                          ChatMessage("user", "Hi there")])
    assert hf_engine.prompt_text(request) == engine.prompt_text(request)
    text = "Token counts agree between both backends."
    assert hf_engine.count_tokens(text) == engine.count_tokens(text)


def test_raw_completion_and_seed(hf_engine):
    options = SamplingOptions(temperature=0.9, seed=3, max_tokens=12)
    a = hf_engine.generate(GenerationRequest(prompt="Once upon a time", options=options))
    b = hf_engine.generate(GenerationRequest(prompt="Once upon a time", options=options))
    assert a.text == b.text and a.text.strip()


def test_stop_strings(hf_engine):
    free = hf_engine.generate(GenerationRequest(
        prompt="1, 2, 3, 4, 5,", options=SamplingOptions(temperature=0.0, max_tokens=16)))
    assert " 8" in free.text
    stopped = hf_engine.generate(GenerationRequest(
        prompt="1, 2, 3, 4, 5,",
        options=SamplingOptions(temperature=0.0, max_tokens=16, stop=(" 8",))))
    assert stopped.finish_reason == "stop" and stopped.text == free.text[:free.text.index(" 8")]


def test_cancel_stops_within_one_token(hf_engine):
    cancel = CancelToken()
    pieces = []
    at_cancel = []

    def on_piece(piece):
        pieces.append(piece)
        if len(pieces) == 5:
            threading.Timer(0.0, lambda: (cancel.cancel(), at_cancel.append(len(pieces)))).start()

    result = hf_engine.generate(GenerationRequest(
        messages=[ChatMessage("user", "Write a long story about a fox.")],
        options=SamplingOptions(temperature=0.8, seed=1, max_tokens=300), cancel=cancel),
        on_piece)
    assert result.cancelled
    assert len(pieces) - at_cancel[0] <= 1
    assert result.completion_tokens < 300


def test_tiny_model_folder(tiny_folder):
    eng = Engine.load_named(str(tiny_folder), [], TRANSFORMERS)
    try:
        assert eng.backend.name == "transformers" and eng.context_length == 512
        assert eng.info.architecture == "LlamaForCausalLM"
        result = eng.generate(GenerationRequest(
            prompt="Hello", options=SamplingOptions(temperature=0.0, max_tokens=8)))
        assert result.completion_tokens > 0
    finally:
        eng.close()


def test_a_folder_runs_on_transformers_by_default(tiny_folder):
    eng = Engine.load_named(str(tiny_folder), [], EngineConfig(device="cpu"))
    try:
        assert eng.backend.name == "transformers"
    finally:
        eng.close()


def write_config(folder, **config):
    folder.mkdir(exist_ok=True)
    (folder / "config.json").write_text(json.dumps({"model_type": "llama", **config}))


def test_missing_config(tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"x")
    with pytest.raises(ModelFileError, match=r"has no config\.json"):
        check_model_folder(tmp_path)


def test_pickled_weights_only(tmp_path):
    write_config(tmp_path)
    (tmp_path / "pytorch_model.bin").write_bytes(b"x")
    with pytest.raises(ModelFileError, match=r"only pickled weights \(pytorch_model.bin\)"):
        check_model_folder(tmp_path)


def test_unknown_architecture(tmp_path):
    write_config(tmp_path, model_type="quantum-llm-9000")
    (tmp_path / "model.safetensors").write_bytes(b"x")
    with pytest.raises(ModelFileError, match=r"quantum-llm-9000"):
        check_model_folder(tmp_path)


def test_remote_code_is_refused(tmp_path):
    write_config(tmp_path, auto_map={"AutoModelForCausalLM": "modeling_x.XModel"})
    (tmp_path / "model.safetensors").write_bytes(b"x")
    with pytest.raises(ModelFileError, match="trust_remote_code"):
        check_model_folder(tmp_path)
    with pytest.raises(ModelFileError, match="never runs a model's code"):
        Engine.load_named(str(tmp_path), [], TRANSFORMERS)


def test_devices():
    device, _dtype, reason = choose_device("auto")
    assert device in ("cpu", "cuda", "mps") and reason
    import torch

    if not torch.cuda.is_available():
        with pytest.raises(EngineError, match="no CUDA GPU is available"):
            choose_device("cuda")


def test_without_the_cuda_extra_the_message_gives_the_command():
    code = ("import sys; sys.modules['transformers'] = None; sys.modules['torch'] = None\n"
            "from writer_app.engine.transformers_backend import choose_device\n"
            "try:\n choose_device()\nexcept Exception as e: print(e)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    assert "pip install 'writer-app[cuda]'" in out


def test_cli_backend_and_device(default_model_path):
    proc = subprocess.run([sys.executable, "-m", "writer_app", "generate", "Hi", "--backend",
                           "transformers", "--device", "cpu", "--max-tokens", "4", "--json"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["device"] == "cpu" and "fp32" in data["device_reason"]
    assert proc.stderr == ""


def test_the_window_can_run_the_gguf_on_transformers(qtbot):
    from writer_app import paths, settings
    from writer_app.settings import Settings
    from writer_app.ui.main_window import MainWindow

    w = MainWindow(Settings(device="cpu"), paths.model_search_dirs())
    w.show()
    try:
        qtbot.waitUntil(lambda: w.host.engine is not None and not w.host.loading,
                        timeout=60000)
        assert w.host.engine.backend.name == "llama.cpp"
        with qtbot.waitSignal(w.host.sig_model_loaded, timeout=120000):
            w.models.use_transformers(True)
        assert w.host.engine.backend.name == "transformers"
        assert "fp32" in w.device_label.toolTip()
        qtbot.waitUntil(lambda: settings.load().backend == "transformers", timeout=5000)
    finally:
        w.close()


def test_likelihoods_agree_with_llama_cpp(hf_engine, engine):
    """The same weights score the same text alike on both backends (llama.cpp computes
    with the quantized weights, transformers with them unpacked to fp32)."""
    for before, endings in [("The cat sat on the ", ["mat.", "mad.", "hat."]),
                            ("the cafe owners ", ["was happy.", "were happy."]),
                            ("", ["The cat sat.", "Teh cat sat."])]:
        ours, theirs = hf_engine.likelihoods(before, endings), engine.likelihoods(before,
                                                                                  endings)
        assert ours == pytest.approx(theirs, abs=1.0)
        assert ours.index(max(ours)) == theirs.index(max(theirs))
