import json
import logging
import math
import os
import subprocess
import sys

import pytest

from writer_app import paths, settings
from writer_app.engine.types import EngineConfig
from writer_app.settings import SCHEMA_VERSION, Settings, SettingsError


def test_writer_home_moves_every_folder(writer_home):
    for folder in (paths.config_dir(), paths.data_dir(), paths.cache_dir()):
        assert writer_home in folder.parents
    assert paths.settings_file().parent == paths.config_dir()


def test_missing_file_gives_defaults():
    assert settings.load() == Settings()
    assert not paths.settings_file().exists()


def test_save_then_load_round_trips():
    prefs = Settings(temperature=0.2, extra_model_dirs=["/models"], context_length_cap=2048)
    settings.save(prefs)
    assert settings.load() == prefs
    data = json.loads(paths.settings_file().read_text())
    assert data["schema_version"] == SCHEMA_VERSION


def test_save_is_atomic_and_leaves_no_temporary_files():
    settings.save(Settings())
    settings.save(Settings(max_tokens=99))
    folder = paths.settings_file().parent
    assert sorted(p.name for p in folder.iterdir()) == ["settings.json"]
    assert settings.load().max_tokens == 99


def _bad_file_is_set_aside(text, caplog):
    path = paths.settings_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    with caplog.at_level(logging.WARNING):
        prefs = settings.load()
    assert prefs == Settings()
    aside = [p for p in path.parent.iterdir() if p.name.startswith("settings.json.bad-")]
    assert len(aside) == 1 and aside[0].read_text() == text
    assert not path.exists()
    assert "defaults are in use" in caplog.text and str(aside[0]) in caplog.text


def test_corrupt_json_is_set_aside_with_a_warning(caplog):
    _bad_file_is_set_aside('{"schema_version": 1, "temperature": ', caplog)


def test_a_schema_version_that_is_not_one_is_set_aside(caplog):
    _bad_file_is_set_aside(json.dumps({"schema_version": "two", "temperature": 0.1}), caplog)


def _write(data):
    path = paths.settings_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return path


def test_a_bad_value_falls_back_alone_and_the_file_is_kept_aside(caplog):
    path = _write({"schema_version": SCHEMA_VERSION, "threads": "many", "top_k": 12,
                   "temperature": float("nan"), "recent_files": ["/a.md"]})
    with caplog.at_level(logging.WARNING):
        prefs = settings.load()
    assert prefs == Settings(top_k=12, recent_files=["/a.md"])
    assert "threads must be int, not 'many'" in caplog.text
    assert "temperature must be from 0 to 2, not nan" in caplog.text
    aside = [p for p in path.parent.iterdir() if p.name.startswith("settings.json.bad-")]
    assert len(aside) == 1 and "many" in aside[0].read_text()


def test_a_file_of_the_previous_version_keeps_the_users_values(caplog):
    # Version 1 took any number; version 2 bounds them: what is in bounds is kept.
    _write({"schema_version": 1, "model_path": "/models/mine.gguf", "temperature": 0.4,
            "top_k": 25, "threads": -3, "backend": "transformers", "device": "cpu",
            "custom_actions": [{"name": "haiku", "label": "Haiku", "instruction": "Haiku."}],
            "extra_model_dirs": ["/models"], "recent_files": ["/notes.md"]})
    with caplog.at_level(logging.WARNING):
        prefs = settings.load()
    assert prefs == Settings(model_path="/models/mine.gguf", temperature=0.4, top_k=25, threads=0,
                             backend="transformers", device="cpu",
                             custom_actions=[{"name": "haiku", "label": "Haiku",
                                              "instruction": "Haiku."}],
                             extra_model_dirs=["/models"], recent_files=["/notes.md"])
    assert "threads was -3; version 2 allows 0 to 1024, so it is now 0" in caplog.text
    settings.save(prefs)
    assert json.loads(paths.settings_file().read_text())["schema_version"] == 2


def test_a_newer_version_keeps_what_this_one_knows(caplog):
    path = _write({"schema_version": 99, "temperature": 0.1, "ghost_text": True})
    with caplog.at_level(logging.WARNING):
        assert settings.load() == Settings(temperature=0.1)
    assert "newer version" in caplog.text and "unknown setting 'ghost_text'" in caplog.text
    assert json.loads(path.with_name("settings.json.v99").read_text())["ghost_text"] is True
    settings.load()
    assert not [p for p in path.parent.iterdir() if ".bad-" in p.name]  # no copy per start


@pytest.mark.parametrize(("name", "value"), [
    ("temperature", math.nan), ("temperature", math.inf), ("top_p", -0.1), ("threads", -1),
    ("context_length_cap", 0), ("max_tokens", 0), ("backend", "onnx"), ("device", "tpu"),
    ("gpu_offload", "always"), ("seed", -2), ("top_k", 2.5)])
def test_values_out_of_bounds_are_refused_by_name(name, value):
    with pytest.raises(SettingsError) as err:
        settings.check(name, value)
    assert str(err.value).startswith(f"{name} must be")


def test_a_huge_number_is_refused_by_name(caplog):
    _write({"schema_version": SCHEMA_VERSION, "temperature": 10**400, "top_k": 9})
    with caplog.at_level(logging.WARNING):
        assert settings.load() == Settings(top_k=9)
    assert "temperature must be a number" in caplog.text


def test_each_choice_and_bound_is_declared_once():
    assert settings.choices_of("backend") == ("auto", "llama.cpp", "transformers")
    assert settings.choices_of("device") == ("auto", "cpu", "cuda", "mps")
    assert settings.choices_of("gpu_offload") == ("auto", "off")
    assert settings.bounds_of("temperature") == (0.0, 2.0)
    assert Settings().engine_config() == EngineConfig()
    prefs = Settings(context_length_cap=2048, threads=3, backend="transformers")
    assert prefs.engine_config() == EngineConfig(2048, 3, "auto", "transformers", "auto")


def test_the_command_line_refuses_a_bad_temperature():
    proc = subprocess.run([sys.executable, "-m", "writer_app", "generate", "Hi",
                           "--temperature", "nan"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert proc.stderr.strip() == ("writer-app: error: temperature must be from 0 to 2, "
                                   "not nan")


def test_not_an_object_is_set_aside(caplog):
    _bad_file_is_set_aside("[1, 2, 3]", caplog)


def test_binary_garbage_is_set_aside(caplog):
    path = paths.settings_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(os.urandom(64) + b"\xff\xfe")
    assert settings.load() == Settings()
    assert any(p.name.startswith("settings.json.bad-") for p in path.parent.iterdir())


def test_saving_after_a_bad_file_works_again(caplog):
    _bad_file_is_set_aside("nonsense", caplog)
    settings.save(Settings(top_k=7))
    assert settings.load().top_k == 7


def test_sampling_options_come_from_the_settings_with_overrides():
    prefs = Settings(temperature=0.3, top_k=12, seed=5)
    options = prefs.sampling(max_tokens=9, seed=None)
    assert (options.temperature, options.top_k, options.seed, options.max_tokens) == (0.3, 12, 5, 9)
    assert options.top_p == prefs.top_p and options.min_p == prefs.min_p
