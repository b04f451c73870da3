import json
import logging
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from writer_app import paths, settings
from writer_app.engine.types import EngineConfig
from writer_app.errors import WriterError
from writer_app.settings import SCHEMA_VERSION, Settings, SettingsError
from writer_app.tasks.actions import ActionError, all_actions, custom_action, usable_actions

from .bounded import run_bounded


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
    path = _write({"schema_version": 99, "temperature": 0.1, "voice_rate": 1.5})
    with caplog.at_level(logging.WARNING):
        assert settings.load() == Settings(temperature=0.1)
    assert "newer version" in caplog.text and "unknown setting 'voice_rate'" in caplog.text
    assert json.loads(path.with_name("settings.json.v99").read_text())["voice_rate"] == 1.5
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


# --- a settings file that cannot be used never stops the start ------------------------------

class _Messages(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def load_and_report(path: str) -> dict:
    """run_bounded's call: load the settings at `path` and tell what came of it."""
    collected = _Messages()
    settings.log.addHandler(collected)
    prefs = settings.load(Path(path))
    folder = Path(path).parent
    return {"defaults": prefs == Settings(), "still_there": Path(path).exists(),
            "aside": sorted(p.name for p in folder.iterdir() if ".bad-" in p.name),
            "messages": collected.messages}


def _settings_path() -> Path:
    path = paths.settings_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


@pytest.mark.parametrize("text", ["[" * 100_000 + "]" * 100_000,
                                  '{"a": ' * 100_000 + "1" + "}" * 100_000],
                         ids=["lists", "objects"])
def test_a_file_nested_100000_deep_is_set_aside_within_bounds(text):
    path = _settings_path()
    path.write_text(text)
    outcome = run_bounded("tests.test_settings:load_and_report", str(path))
    assert outcome.ok, outcome.traceback
    report = outcome.value
    assert report["defaults"] and not report["still_there"] and len(report["aside"]) == 1
    assert "nested too deeply" in report["messages"][0]
    assert "defaults are in use" in report["messages"][0]
    assert (path.parent / report["aside"][0]).read_text() == text
    outcome.within_bounds(seconds=10, memory_mb=512)


@pytest.mark.parametrize(("data", "reason"), [
    (b"[]", "not a JSON object"),
    (b"null", "not a JSON object"),
    (b"42", "not a JSON object"),
    (b'"settings"', "not a JSON object"),
    (b'{"schema_version": 2, "model_path": "caf\xe9.gguf"}', "not UTF-8 text"),
    (b'{"schema_version": 2, "top_k": ' + b"9" * 5000 + b"}", "ValueError"),
    (b'{"schema_version": 2, "recent_files": ["' + b"x" * (5 * 2**20) + b'"]}',
     "larger than 4 MiB"),
], ids=["list", "null", "number", "string", "latin-1", "5000 digits", "5 MiB"])
def test_a_file_that_cannot_be_used_is_set_aside_with_its_reason(data, reason, caplog):
    path = _settings_path()
    path.write_bytes(data)
    with caplog.at_level(logging.WARNING):
        assert settings.load() == Settings()
    aside = [p for p in path.parent.iterdir() if p.name.startswith("settings.json.bad-")]
    assert len(aside) == 1 and aside[0].read_bytes() == data
    assert not path.exists()
    assert reason in caplog.text and "defaults are in use" in caplog.text
    settings.save(Settings(top_k=3))  # and the next save makes a good file again
    assert settings.load().top_k == 3


def test_a_huge_file_is_not_read_whole(tmp_path):
    path = tmp_path / "settings.json"
    with path.open("wb") as f:  # 64 MiB of valid JSON
        f.write(b'{"schema_version": 2, "recent_files": ["')
        f.write(b"x" * 64 * 2**20)
        f.write(b'"]}')
    outcome = run_bounded("tests.test_settings:load_and_report", str(path))
    assert outcome.ok, outcome.traceback
    assert outcome.value["defaults"] and "larger than 4 MiB" in outcome.value["messages"][0]
    outcome.within_bounds(seconds=10, memory_mb=512)
    assert outcome.peak_mb - outcome.import_mb < 32  # about the 4 MiB read, not 64


def test_a_folder_or_a_pipe_in_its_place_gives_the_defaults(tmp_path):
    folder = tmp_path / "folder" / "settings.json"
    folder.mkdir(parents=True)
    pipe = tmp_path / "pipe" / "settings.json"
    pipe.parent.mkdir()
    os.mkfifo(pipe)
    for path in (folder, pipe):  # a pipe with no writer would block a read for ever
        outcome = run_bounded("tests.test_settings:load_and_report", str(path), timeout=20)
        assert outcome.ok, outcome.traceback
        report = outcome.value
        assert report["defaults"] and report["still_there"] and report["aside"] == []
        assert "not a regular file" in report["messages"][0]


# --- custom actions: a bad entry is dropped alone --------------------------------------------

GOOD_ACTIONS = [
    {"name": "haiku", "label": "Haiku", "instruction": "Rewrite as a haiku."},
    {"name": "pirate", "label": "Pirate", "instruction": "Like a pirate.", "use": "show"},
]
BAD_ACTIONS = [
    ({"label": "No name", "instruction": "x"}, "lacks 'name'"),
    ({"name": "bare"}, "lacks 'label', 'instruction'"),
    ({"name": 5, "label": "Five", "instruction": "x"}, "custom action 5: name, label and"),
    ({"name": "blank", "label": " ", "instruction": "x"}, "'blank': name, label and "
                                                          "instruction must be text"),
    ({"name": "listy", "label": "L", "instruction": ["x"]}, "'listy': name, label and"),
    ({"name": "shout", "label": "S", "instruction": "x", "use": "shout"},
     "'shout': 'use' must be one of replace, insert, show, not 'shout'"),
    ({"name": "hashless", "label": "H", "instruction": "x", "use": ["show"]},
     "'hashless': 'use' must be one of"),
    ("just text", "custom action 'just text': each entry must be an object"),
    (None, "custom action None: each entry must be an object"),
    ([1, 2], "custom action [1, 2]: each entry must be an object"),
]


def test_bad_custom_actions_are_dropped_alone_and_named(caplog):
    bad = [entry for entry, _ in BAD_ACTIONS]
    path = _write({"schema_version": SCHEMA_VERSION, "top_k": 12,
                   "custom_actions": [bad[0], GOOD_ACTIONS[0], *bad[1:], GOOD_ACTIONS[1]]})
    with caplog.at_level(logging.WARNING):
        prefs = settings.load()
    assert prefs == Settings(top_k=12, custom_actions=GOOD_ACTIONS)
    for _, reason in BAD_ACTIONS:
        assert reason in caplog.text
    aside = [p for p in path.parent.iterdir() if p.name.startswith("settings.json.bad-")]
    assert len(aside) == 1 and path.exists()  # copied aside, as for any dropped value
    names = [a.name for a in all_actions(prefs.custom_actions)]
    assert names[-2:] == ["haiku", "pirate"]


@pytest.mark.parametrize("value", [{"name": "x", "label": "x", "instruction": "x"},
                                   "haiku", 7, None])
def test_custom_actions_that_are_not_a_list_fall_back_to_none(value, caplog):
    _write({"schema_version": SCHEMA_VERSION, "custom_actions": value, "top_k": 5})
    with caplog.at_level(logging.WARNING):
        assert settings.load() == Settings(top_k=5)
    assert "custom_actions must be a list of dict" in caplog.text


@pytest.mark.parametrize(("entry", "reason"), BAD_ACTIONS,
                         ids=[reason for _, reason in BAD_ACTIONS])
def test_a_bad_entry_raises_only_an_action_error(entry, reason):
    for call in (custom_action, lambda e: all_actions([GOOD_ACTIONS[0], e])):
        with pytest.raises(ActionError) as caught:
            call(entry)
        assert reason in str(caught.value)
        assert isinstance(caught.value, WriterError) and isinstance(caught.value, ValueError)
    with pytest.raises(SettingsError, match=re.escape(reason)):
        settings.check("custom_actions", [entry])


@pytest.mark.parametrize("custom", [None, 5, "haiku", {"name": "x"}])
def test_a_custom_list_that_is_not_a_list_raises_an_action_error(custom):
    with pytest.raises(ActionError, match="custom actions must be a list"):
        all_actions(custom)


def test_usable_actions_keep_the_good_entries_and_say_why_not_the_others():
    actions, problems = usable_actions([*GOOD_ACTIONS, *(e for e, _ in BAD_ACTIONS)])
    assert [a.name for a in actions] == [a.name for a in all_actions()] + ["haiku", "pirate"]
    assert problems == [str(_action_error(e)) for e, _ in BAD_ACTIONS]
    assert usable_actions(42) == (all_actions(), [
        "custom actions must be a list of entries, not 42"])


def _action_error(entry) -> ActionError:
    try:
        custom_action(entry)
    except ActionError as exc:
        return exc
    raise AssertionError(f"{entry!r} was accepted")
