import json
import logging
import os

from writer_app import paths, settings
from writer_app.settings import SCHEMA_VERSION, Settings


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


def test_unknown_schema_version_is_set_aside(caplog):
    _bad_file_is_set_aside(json.dumps({"schema_version": 99, "temperature": 0.1}), caplog)


def test_wrong_type_is_set_aside(caplog):
    _bad_file_is_set_aside(json.dumps({"schema_version": 1, "threads": "many"}), caplog)


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
