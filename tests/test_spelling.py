"""Spelling with the Hunspell dictionaries Writer carries: the checker, its ranking and
sure fixes, code-like tokens left alone, the user's word list, and the window's wavy
underlines and right-click menu."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QContextMenuEvent, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QApplication, QMenu

from writer_app.tasks import spelling
from writer_app.tasks.code_tokens import code_spans
from writer_app.tasks.spelling import Speller, SpellSession

SENTENCE = ("Teh harbour was very busy this yeer, and the cafe owners was happy becuase "
            "the tourists spended a lot.")


@pytest.fixture(scope="module")
def british():
    return Speller("en_GB")


def test_the_issue_sentence_has_its_four_misspellings_and_no_more(british):
    assert [m.word for m in british.misspellings(SENTENCE)] == [
        "Teh", "yeer", "becuase", "spended"]


def test_regional_spelling_is_respected():
    assert Speller("en_GB").correct("harbour") and not Speller("en_GB").correct("harbor")
    assert Speller("en_US").correct("harbor") and not Speller("en_US").correct("harbour")


@pytest.mark.parametrize(("typo", "fix"), [
    ("Teh", "The"), ("yeer", "year"), ("becuase", "because"), ("recieve", "receive"),
    ("definately", "definitely"), ("occured", "occurred"), ("seperate", "separate"),
    ("tommorow", "tomorrow"), ("beleive", "believe"), ("thier", "their"),
    ("harbuor", "harbour")])
def test_sure_fixes_of_common_misspellings(british, typo, fix):
    assert british.suggestions(typo)[0] == fix
    assert british.sure_fix(typo) == fix


def test_a_regularised_irregular_verb_gets_its_real_form(british):
    assert british.sure_fix("spended") == "spent"
    assert british.sure_fix("Teached") == "Taught"
    assert british.suggestions("buyed")[0] == "bought"


@pytest.mark.parametrize("typo", ["wich", "alot", "verson"])
def test_a_typo_with_two_likely_fixes_is_not_sure(british, typo):
    assert british.suggestions(typo)  # offered, but left to the user or the model
    assert british.sure_fix(typo) is None


@pytest.mark.parametrize(("language", "good", "bad"), [
    ("de_DE", "Der Hafen war dieses Jahr sehr belebt.", "Hafne"),
    ("fr", "Le port était très animé cette année.", "anneé"),
    ("es_ES", "El puerto estuvo muy concurrido este año.", "concurido"),
    ("it_IT", "Il porto è stato molto affollato quest'anno.", "afollato"),
    ("pt_PT", "O porto esteve muito movimentado este ano.", "movimentdo"),
    ("nl", "De haven was dit jaar erg druk.", "hven"),
    ("ru_RU", "В этом году в порту было очень оживлённо.", "харашо"),
])
def test_eight_languages_have_dictionaries(language, good, bad):
    speller = Speller(language)
    assert speller.misspellings(good) == []
    assert [m.word for m in speller.misspellings(f"{good} {bad}")] == [bad]


def test_code_like_tokens_are_not_words():
    text = ("See gguf/scripts/gguf_dump.py, `llm_load`, https://exmaple.org/pathh, "
            "mail me at jdoe@exmaple.org, run llama_cpp or LlamaCpp or getTokne, "
            "v1.2.3, GGUF and CPUs, on C:\\Users\\jdoe\\notse.txt.")
    speller = Speller("en_US")
    assert [m.word for m in speller.misspellings(text)] == []
    assert speller.misspellings("the harbr") != []
    spans = [text[a:b] for a, b in code_spans(text)]
    for token in ("gguf/scripts/gguf_dump.py", "`llm_load`", "https://exmaple.org/pathh",
                  "jdoe@exmaple.org", "llama_cpp", "LlamaCpp", "getTokne", "v1.2.3", "GGUF"):
        assert token in spans


def test_each_paragraph_is_checked_in_its_language():
    session = SpellSession("auto", "en_GB")
    assert session.check("The harbour was busy this year, and the ferries ran late.") == []
    german = "Der Hafen war in diesem Jahr sehr belebt, und die Fähren kamen spät."
    assert session.dictionary_for(german) == "de_DE"
    assert session.check(german) == []
    assert SpellSession("auto", "en_US").check("The harbour was busy this year.") != []
    assert SpellSession("off").check(SENTENCE) == []


def test_the_users_words_are_kept_in_the_data_folder():
    session = SpellSession("en_GB", "en_GB")
    assert [m.word for m in session.check("Writer runs Smollam offline.")] == ["Smollam"]
    session.add("Smollam")
    assert session.check("Writer runs Smollam offline.") == []
    assert "Smollam" in spelling.user_dictionary_file().read_text(encoding="utf-8")
    assert SpellSession("en_GB", "en_GB").check("Writer runs Smollam offline.") == []
    session.ignore("Zorblax")
    assert session.check("Zorblax said hello.") == []
    assert SpellSession("en_GB", "en_GB").check("Zorblax said hello.") != []


# --- the window ---------------------------------------------------------------------------

@pytest.fixture(autouse=False)
def british_locale(monkeypatch):
    """A British system: English is checked the British way ("harbour")."""
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "en_GB.UTF-8")


def test_english_follows_the_system_locale(monkeypatch):
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    for lang, variant in (("en_GB.UTF-8", "en_GB"), ("en_AU.UTF-8", "en_GB"),
                          ("en_US.UTF-8", "en_US"), ("de_DE.UTF-8", "en_US")):
        monkeypatch.setenv("LANG", lang)
        assert spelling.system_english() == variant

def underlined(window) -> list[str]:
    """The words drawn with the spell-check underline."""
    words = []
    block = window.editor.document().begin()
    while block.isValid():
        for fmt in block.layout().formats():
            if fmt.format.underlineStyle() == QTextCharFormat.UnderlineStyle.SpellCheckUnderline:
                words.append(block.text()[fmt.start:fmt.start + fmt.length])
        block = block.next()
    return words


def test_misspelled_words_are_underlined_as_you_type(qtbot, british_locale, bare_window):
    w = bare_window
    w.editor.setFocus()
    qtbot.keyClicks(w.editor, SENTENCE)
    qtbot.waitUntil(lambda: underlined(w) == ["Teh", "yeer", "becuase", "spended"],
                    timeout=20000)
    # The word being typed is not marked until it is finished.
    qtbot.keyClicks(w.editor, " Anothr")
    qtbot.wait(600)
    assert "Anothr" not in underlined(w)
    qtbot.keyClicks(w.editor, " word")
    qtbot.waitUntil(lambda: "Anothr" in underlined(w), timeout=10000)


def menu_on(w, word: str) -> QMenu:
    """The editor's right-click menu for `word`, as the right click builds it (not shown:
    the test triggers its entries)."""
    from writer_app.ui.spelling import add_spelling_actions

    at = w.editor.toPlainText().index(word) + 1
    menu = w.editor.createStandardContextMenu()
    add_spelling_actions(menu, w.editor, w.spelling, at)
    return menu


def test_a_right_click_opens_the_menu_with_the_spelling_entries(qtbot, british_locale,
                                                               bare_window):
    w = bare_window
    w.files.set_text(SENTENCE, None)
    qtbot.waitUntil(lambda: "becuase" in underlined(w), timeout=20000)
    cursor = QTextCursor(w.editor.document())
    cursor.setPosition(SENTENCE.index("becuase") + 2)
    point = w.editor.cursorRect(cursor).center()
    seen: list[str] = []

    def read_and_close() -> None:
        menu = QApplication.activePopupWidget()
        if isinstance(menu, QMenu):
            seen.extend(a.text() for a in menu.actions())
            menu.close()
        else:
            QTimer.singleShot(20, read_and_close)

    QTimer.singleShot(20, read_and_close)
    w.editor.contextMenuEvent(QContextMenuEvent(QContextMenuEvent.Reason.Mouse, point,
                                                w.editor.viewport().mapToGlobal(point)))
    assert "Add “becuase” to Dictionary" in seen and "Ignore “becuase”" in seen


def test_the_right_click_menu_fixes_adds_and_ignores(qtbot, british_locale, bare_window):
    w = bare_window
    w.files.set_text(SENTENCE + "\n\nZorblax and Quuxly met in the harbour.", None)
    qtbot.waitUntil(lambda: "spended" in underlined(w) and "Zorblax" in underlined(w),
                    timeout=20000)
    menu = menu_on(w, "becuase")
    qtbot.waitUntil(lambda: any(a.text() == "because" for a in menu.actions()), timeout=10000)
    texts = [a.text() for a in menu.actions()]
    assert texts[0] == "because"  # suggestions first
    assert "Add “becuase” to Dictionary" in texts and "Ignore “becuase”" in texts
    assert texts.index("Ignore “becuase”") < texts.index(next(t for t in texts if "Undo" in t))
    next(a for a in menu.actions() if a.text() == "because").trigger()
    menu.close()
    assert "happy because the tourists" in w.editor.toPlainText()
    w.editor.undo()  # one undo step
    assert "happy becuase the tourists" in w.editor.toPlainText()

    menu = menu_on(w, "Zorblax")
    next(a for a in menu.actions() if a.text().startswith("Add “Zorblax”")).trigger()
    menu.close()
    qtbot.waitUntil(lambda: "Zorblax" not in underlined(w), timeout=10000)
    qtbot.waitUntil(lambda: spelling.user_dictionary_file().exists(), timeout=10000)
    assert "Zorblax" in spelling.load_user_words()

    qtbot.waitUntil(lambda: "Quuxly" in underlined(w), timeout=10000)  # checked again
    menu = menu_on(w, "Quuxly")
    next(a for a in menu.actions() if a.text().startswith("Ignore “Quuxly”")).trigger()
    menu.close()
    qtbot.waitUntil(lambda: "Quuxly" not in underlined(w), timeout=10000)
    assert "Quuxly" not in spelling.load_user_words()  # ignored here only


def test_gzipped_dictionaries_are_unpacked_into_the_cache(tmp_path, monkeypatch):
    """The bundle carries the dictionaries gzipped (packaging/writer.spec)."""
    import gzip
    import shutil

    from spylls.hunspell import Dictionary

    from writer_app import paths

    resources = tmp_path / "resources"
    (resources / "dictionaries").mkdir(parents=True)
    for suffix in (".dic", ".aff"):
        source = paths.resources_dir() / "dictionaries" / f"nl{suffix}"
        with source.open("rb") as f, gzip.open(resources / "dictionaries" / f"nl{suffix}.gz",
                                               "wb") as g:
            shutil.copyfileobj(f, g)
    monkeypatch.setattr(paths, "resources_dir", lambda: resources)
    where = spelling._dictionary_files("nl")
    assert where.parent == paths.cache_dir() / "dictionaries"
    dictionary = Dictionary.from_files(str(where))
    assert dictionary.lookup("haven") and not dictionary.lookup("hven")


def test_a_word_ignored_in_a_long_document_is_unmarked_a_slice_at_a_time(
        qtbot, british_locale, bare_window):
    """Ignoring a word looks for it in every paragraph: in a long document that walk is
    done in slices between other events, not in one go that freezes the window."""
    w = bare_window
    lines = [f"Line {n}: Zorblax sailed from the harbour." for n in range(6000)]
    w.files.set_text("\n".join(lines), None)
    last = w.editor.document().lastBlock()

    def marked(block) -> bool:
        return any(f.format.underlineStyle() == QTextCharFormat.UnderlineStyle.SpellCheckUnderline
                   for f in block.layout().formats())

    qtbot.waitUntil(lambda: marked(w.editor.document().lastBlock()), timeout=60000)
    w.spelling.session.ignore("Zorblax")
    w.spelling.forget("Zorblax")
    assert marked(last)  # not yet: forget() returned before walking the document
    qtbot.waitUntil(lambda: not marked(w.editor.document().lastBlock()), timeout=60000)
    assert not marked(w.editor.document().firstBlock())
