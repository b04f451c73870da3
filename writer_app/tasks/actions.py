"""Writing actions are data: a name, a label, an instruction, and how the result is used.

Users add their own in the settings (`custom_actions`): one entry each, no code.
"""

from __future__ import annotations

import reprlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

from writer_app.errors import WriterError

ResultUse = Literal["replace", "insert", "show"]
USES: tuple[str, ...] = ("replace", "insert", "show")


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    instruction: str
    use: ResultUse = "replace"
    # An action that needs the user's own instruction ({instruction} in the text).
    needs_instruction: bool = False


BUILT_IN: tuple[Action, ...] = (
    Action("proofread", "Proofread",
           "Correct the spelling, grammar and punctuation of the text. Change nothing else: "
           "keep its words, style and meaning."),
    Action("rewrite", "Rewrite for clarity",
           "Rewrite the text so that it is clear and easy to read. Keep its meaning."),
    Action("formal", "Tone: formal", "Rewrite the text in a formal tone. Keep its meaning."),
    Action("friendly", "Tone: friendly",
           "Rewrite the text in a warm, friendly tone. Keep its meaning."),
    Action("confident", "Tone: confident",
           "Rewrite the text in a confident, assertive tone. Keep its meaning."),
    Action("plain", "Tone: plain",
           "Rewrite the text in plain, simple words. Keep its meaning."),
    Action("shorter", "Shorter",
           "Make the text shorter: keep what matters and cut the rest."),
    Action("longer", "Longer",
           "Make the text longer: add detail and explanation in the same voice."),
    Action("continue", "Continue",
           "Write what comes next after the text, in the same voice and language. Give only "
           "the new text.", use="insert"),
    Action("custom", "Custom instruction…", "{instruction}", needs_instruction=True),
)


class ActionError(WriterError, ValueError):
    """A custom action entry that cannot be used; the message names it and says why."""


_FIELDS = ("name", "label", "instruction")
# An entry comes from a file the user edits: it is quoted short in messages.
_quote = reprlib.Repr()
_quote.maxstring = _quote.maxother = 60


def custom_action(entry: object) -> Action:
    """An action from a settings entry: {"name", "label", "instruction", "use"?}.

    Whatever the entry holds, the only error is ActionError naming it."""
    if not isinstance(entry, Mapping):
        raise ActionError(f"custom action {_quote.repr(entry)}: each entry must be an object "
                          "with a name, a label and an instruction")
    missing = [k for k in _FIELDS if k not in entry]
    if missing:
        raise ActionError(f"custom action {_quote.repr(dict(entry))} lacks "
                          f"{', '.join(map(repr, missing))}")
    name, label, instruction = (entry[k] for k in _FIELDS)
    which = repr(name) if isinstance(name, str) else _quote.repr(name)
    if not all(isinstance(v, str) and v.strip() for v in (name, label, instruction)):
        raise ActionError(f"custom action {which}: name, label and instruction must be text")
    use = entry.get("use", "replace")
    if not isinstance(use, str) or use not in USES:
        raise ActionError(f"custom action {which}: 'use' must be one of {', '.join(USES)}, "
                          f"not {_quote.repr(use)}")
    return Action(name, label, instruction, cast(ResultUse, use), "{instruction}" in instruction)


def _entries(custom: object) -> list[object]:
    if isinstance(custom, (str, bytes, Mapping)) or not isinstance(custom, Iterable):
        raise ActionError(f"custom actions must be a list of entries, not {_quote.repr(custom)}")
    return list(custom)


def all_actions(custom: Iterable[Mapping[str, Any]] = ()) -> list[Action]:
    """Built-in actions, then the user's; a user's action may replace a built-in one.
    A bad entry raises ActionError naming it (see usable_actions to skip it instead)."""
    actions = {a.name: a for a in BUILT_IN}
    for entry in _entries(custom):
        action = custom_action(entry)
        actions[action.name] = action
    return list(actions.values())


def usable_actions(custom: object = ()) -> tuple[list[Action], list[str]]:
    """Built-in actions and every custom one that can be used, and why each other entry
    cannot: for a window, which must open whatever the settings hold."""
    actions = {a.name: a for a in BUILT_IN}
    problems: list[str] = []
    try:
        entries = _entries(custom)
    except ActionError as exc:
        return list(actions.values()), [str(exc)]
    for entry in entries:
        try:
            action = custom_action(entry)
        except ActionError as exc:
            problems.append(str(exc))
            continue
        actions[action.name] = action
    return list(actions.values()), problems


def find_action(name: str, custom: Iterable[Mapping[str, Any]] = ()) -> Action:
    actions = all_actions(custom)
    for action in actions:
        if action.name == name:
            return action
    names = ", ".join(a.name for a in actions)
    raise WriterError(f"unknown action {name!r}; the actions are: {names}")
