from pathlib import Path

from writer_app import paths


def test_model_search_order(writer_home):
    dirs = paths.model_search_dirs(["~/more-models", "/opt/models"])
    assert dirs[0] == Path(__file__).resolve().parent.parent / "models"
    assert dirs[1] == writer_home / "data" / "models"
    assert dirs[2] == Path("~/more-models").expanduser()
    assert dirs[3] == Path("/opt/models")


def test_duplicate_folders_are_listed_once():
    app = str(paths.app_models_dir())
    assert paths.model_search_dirs([app]).count(paths.app_models_dir()) == 1


def test_without_writer_home_platformdirs_decides(monkeypatch):
    monkeypatch.delenv("WRITER_HOME")
    assert "Writer" in str(paths.config_dir())
    assert "Writer" in str(paths.data_dir())
    assert paths.config_dir() != paths.cache_dir()
