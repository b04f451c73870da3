"""Writing actions are data: a name, a label, an instruction, and how the result is used.

Users add their own in the settings (`custom_actions`): one entry each, no code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

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


def custom_action(entry: Mapping[str, Any]) -> Action:
    """An action from a settings entry: {"name", "label", "instruction", "use"?}."""
    try:
        name, label, instruction = entry["name"], entry["label"], entry["instruction"]
    except KeyError as exc:
        raise WriterError(f"custom action {dict(entry)!r} lacks {exc.args[0]!r}") from None
    use = entry.get("use", "replace")
    if not all(isinstance(v, str) and v.strip() for v in (name, label, instruction)):
        raise WriterError(f"custom action {name!r}: name, label and instruction must be text")
    if use not in USES:
        raise WriterError(f"custom action {name!r}: 'use' must be one of {', '.join(USES)}")
    return Action(name, label, instruction, use, "{instruction}" in instruction)


def all_actions(custom: Iterable[Mapping[str, Any]] = ()) -> list[Action]:
    """Built-in actions, then the user's; a user's action may replace a built-in one."""
    actions = {a.name: a for a in BUILT_IN}
    for entry in custom:
        action = custom_action(entry)
        actions[action.name] = action
    return list(actions.values())


def find_action(name: str, custom: Iterable[Mapping[str, Any]] = ()) -> Action:
    actions = all_actions(custom)
    for action in actions:
        if action.name == name:
            return action
    names = ", ".join(a.name for a in actions)
    raise WriterError(f"unknown action {name!r}; the actions are: {names}")
