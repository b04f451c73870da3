"""The command line, run as a user would: a separate process."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from writer_app.engine import default_model


def cli(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "writer_app", *args], capture_output=True,
                          text=True, timeout=300, **kwargs)


def assert_one_line_error(proc, *parts):
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("writer-app: error: ")
    for part in parts:
        assert part in lines[0]
    assert "Traceback" not in proc.stderr


def this_machines_variant():
    """What llama.cpp picks here, named after the library file it loaded."""
    from writer_app.engine import llama_runtime

    variant = llama_runtime.ensure_loaded()
    name = variant.path.name.removeprefix("libggml-cpu-").removesuffix(".so")
    assert variant.describe() == f"CPU: {variant.label} variant ({name})"
    return variant.describe()


def test_models_json_lists_the_default_model():
    proc = cli("models", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    row = next(r for r in rows if r["path"].endswith(default_model.FILE_NAME))
    assert row["architecture"] == "llama"
    assert row["quantization"] == "Q4_1"
    assert row["context_length"] == 8192
    assert row["parameters"] == 134_515_008
    assert row["has_chat_template"] is True
    assert row["file_size"] == 98_362_432
    assert row["cpu_variant"] == this_machines_variant()


def test_models_lists_extra_folders_and_bad_files(tmp_path):
    (tmp_path / "broken.gguf").write_text("nope")
    proc = cli("--model-dir", str(tmp_path), "models")
    assert proc.returncode == 0
    assert default_model.FILE_NAME in proc.stdout
    assert "Q4_1" in proc.stdout and "context 8192" in proc.stdout
    assert "broken.gguf (from Writer)\n  unusable: is not a GGUF model file" in proc.stdout
    assert proc.stdout.endswith(f"\nllama.cpp runs on {this_machines_variant()}\n")


def test_generate_json_reports_the_figures():
    proc = cli("generate", "Name a fruit.", "--max-tokens", "16", "--seed", "1", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["text"].strip()
    assert data["model"] == default_model.FILE_NAME
    assert data["prompt_tokens"] > 10
    assert 0 < data["completion_tokens"] <= 16
    assert data["seconds"] > 0 and data["tokens_per_second"] >= 0
    assert data["device"] in ("cpu", "gpu") and data["device_reason"]
    assert data["cpu_variant"] == this_machines_variant()


def test_generate_streams_the_same_text_as_json_reports():
    args = ("generate", "Name a colour.", "--max-tokens", "12", "--temperature", "0")
    streamed = cli(*args)
    reported = json.loads(cli(*args, "--json").stdout)
    assert streamed.returncode == 0
    assert streamed.stdout == reported["text"] + "\n"


def test_raw_prompt_is_not_wrapped_in_the_chat_template():
    raw = json.loads(cli("generate", "The capital of France is", "--raw", "--temperature",
                         "0", "--max-tokens", "8", "--json").stdout)
    chat = json.loads(cli("generate", "The capital of France is", "--temperature", "0",
                          "--max-tokens", "8", "--json").stdout)
    assert raw["prompt_tokens"] == 5
    assert chat["prompt_tokens"] > 20
    assert "Paris" in raw["text"]


def test_model_by_name(tmp_path):
    proc = cli("generate", "Hi", "--model", "SmolLM2", "--max-tokens", "4", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["model"] == default_model.FILE_NAME


def test_bad_model_path():
    assert_one_line_error(cli("generate", "hi", "--model", "/no/such/model.gguf"),
                          "/no/such/model.gguf", "no such file")


def test_unknown_model_name():
    assert_one_line_error(cli("generate", "hi", "--model", "gpt-17"), "no model named 'gpt-17'")


def test_prompt_too_long_gives_both_numbers():
    proc = cli("generate", "word " * 9000)
    assert_one_line_error(proc, "tokens long", "holds 8192 tokens")


def test_bad_max_tokens():
    assert_one_line_error(cli("generate", "hi", "--max-tokens", "0"), "--max-tokens")


def test_corrupt_settings_do_not_stop_the_cli(writer_home):
    (writer_home / "config").mkdir()
    (writer_home / "config" / "settings.json").write_text("{oops")
    proc = cli("models", "--json")
    assert proc.returncode == 0
    assert "defaults are in use" in proc.stderr
    assert any(p.name.startswith("settings.json.bad-")
               for p in (writer_home / "config").iterdir())


def test_ctrl_c_stops_generation():
    proc = subprocess.Popen(
        [sys.executable, "-m", "writer_app", "generate", "Write a very long essay on rivers.",
         "--max-tokens", "2000", "--seed", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    first = proc.stdout.read(20)  # the answer is streaming
    assert first
    proc.send_signal(signal.SIGINT)
    rest, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert "Traceback" not in err
    assert len((first + rest).split()) < 1500


@pytest.mark.slow
def test_no_subcommand_opens_the_window():
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.Popen([sys.executable, "-m", "writer_app"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(4)
    still_running = proc.poll() is None
    proc.terminate()
    _, err = proc.communicate(timeout=30)
    assert still_running, err
