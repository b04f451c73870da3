import pytest

from writer_app.engine import default_model
from writer_app.engine.discovery import discover, resolve
from writer_app.engine.errors import EngineError, ModelFileError

from .helpers import write_tiny_gguf


@pytest.fixture
def folders(tmp_path, default_model_path):
    app = tmp_path / "app"
    user = tmp_path / "user"
    extra = tmp_path / "extra"
    for d in (app, user, extra / "publisher" / "model"):
        d.mkdir(parents=True)
    (app / default_model.FILE_NAME).symlink_to(default_model_path)
    (user / "broken.gguf").write_text("not a model")
    write_tiny_gguf(extra / "publisher" / "model" / "other-q8.gguf")
    # The same file reached twice is listed once.
    (extra / "again.gguf").symlink_to(default_model_path)
    (extra / "big-00002-of-00003.gguf").write_text("second part of a split model")
    (extra / "notes.txt").write_text("not a model at all")
    return [app, user, extra, tmp_path / "does-not-exist"]


def test_discover_lists_models_and_bad_files(folders):
    found = discover(folders)
    names = [m.path.name for m in found]
    assert names == [default_model.FILE_NAME, "broken.gguf", "other-q8.gguf"]
    assert found[0].usable and found[0].info.quantization == "Q4_1"
    assert not found[1].usable and "is not a GGUF model file" in found[1].error


def test_resolve_prefers_the_default_model(folders):
    assert resolve(None, folders).path.name == default_model.FILE_NAME


def test_resolve_by_name_part_and_path(folders, default_model_path):
    assert resolve("other-q8", folders).path.name == "other-q8.gguf"
    assert resolve("other-q8.gguf", folders).path.name == "other-q8.gguf"
    assert resolve(str(default_model_path), folders).path == default_model_path


def test_resolve_ambiguous_and_unknown(folders):
    write_tiny_gguf(folders[1] / "other-q4.gguf")
    with pytest.raises(EngineError, match="ambiguous"):
        resolve("other", folders)
    with pytest.raises(EngineError, match="no model named 'llama-70b'"):
        resolve("llama-70b", folders)


def test_resolve_bad_path_names_the_file(folders):
    with pytest.raises(ModelFileError, match=r"broken\.gguf: is not a GGUF"):
        resolve(str(folders[1] / "broken.gguf"), folders)


def test_no_models_at_all(tmp_path):
    with pytest.raises(EngineError, match=r"no model found: put a \.gguf file in"):
        resolve(None, [tmp_path])
