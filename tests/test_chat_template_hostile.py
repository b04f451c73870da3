"""A model's chat template is untrusted code: a hostile one fails fast, within time and
memory bounds, as an EngineError; a normal one renders exactly as before."""

import re
import shutil
import threading
import time
from pathlib import Path

import pytest
from jinja2.sandbox import ImmutableSandboxedEnvironment

from writer_app.engine import template_sandbox
from writer_app.engine.chat_template import (
    FALLBACK_TEMPLATE,
    ChatTemplateCancelled,
    render_chat,
)
from writer_app.engine.errors import EngineError
from writer_app.engine.model_info import read_model_info
from writer_app.engine.types import CancelToken, ChatMessage, GenerationRequest, SamplingOptions

from .bounded import run_bounded

PREFIX = "the model's chat template is unusable: "
HELLO = [ChatMessage("user", "Hello")]
NESTED_LOOPS = "{% for i in range(99999) %}{% for j in range(99999) %}{% endfor %}{% endfor %}"

HOSTILE = {
    "nested range loops": NESTED_LOOPS,
    "a 3 GB string": "{{ 'A'*3000000000 }}",
    "1 MB strings in a loop": "{% for i in range(10**4) %}{{ 'A'*10**6 }}{% endfor %}",
    "1 MB strings kept": "{% set ns = namespace(l=[]) %}{% for i in range(10**4) %}"
                         "{% set ns.l = ns.l + [('A'*10**6)[1:]] %}{% endfor %}",
    "range(10**9)": "{% for i in range(10**9) %}{% endfor %}",
    "a recursive macro": "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
    "a macro that doubles": "{% macro f(n) %}{% if n < 60 %}{{ f(n + 1) }}{{ f(n + 1) }}"
                            "{% endif %}{% endmacro %}{{ f(0) }}",
    "format_map": "{{ '{a}{b}'.format_map({'a': 1}) }}",
    "a 3 GB format width": "{{ '{:>3000000000}'.format(1) }}",
    "a 3 GB printf width": "{{ '%3000000000d' % 1 }}",
    "str.center": "{{ 'x'.center(10**10) }}",
    "a list of 10**10": "{{ [0]*10**10 }}",
    "a string power": "{{ 'A'**3000000000 }}",
    "a huge number": "{{ 7**3000000 }}",
    "loops over a 10**7-character string": "{% for c in 'A'*10**7 %}{% for d in 'A'*10**7 %}"
                                           "{% endfor %}{% endfor %}",
    "a list that doubles": "{% set ns = namespace(x=[]) %}{% for i in range(60) %}"
                           "{% set ns.x = [ns.x, ns.x] %}{% endfor %}{{ ns.x }}",
    "two such lists compared": "{% set ns = namespace(x=[], y=[]) %}{% for i in range(60) %}"
                               "{% set ns.x = [ns.x, ns.x] %}{% set ns.y = [ns.y, ns.y] %}"
                               "{% endfor %}{{ ns.x == ns.y }}",
    "a tuple that doubles, hashed": "{% set ns = namespace(t=()) %}{% for i in range(60) %}"
                                    "{% set ns.t = (ns.t, ns.t) %}{% endfor %}{{ {ns.t: 1} }}",
    "a string that doubles": "{% set ns = namespace(s='ab') %}{% for i in range(60) %}"
                             "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
    "a block that repeats": "{% set big = 'A'*10**6 %}{% set x %}{% for i in range(10**5) %}"
                            "{{ big }}{% endfor %}{% endset %}{{ x }}",
    "indent(10**9)": "{{ 'a\nb'|indent(10**9) }}",
    "center(10**9)": "{{ 'a'|center(10**9) }}",
    "wordwrap of 6 MB": "{{ ('a '*3000000)|wordwrap(1) }}",
    "wordwrap with a 1 MB wrapstring": "{{ ('a '*1000)|wordwrap(1, wrapstring='x'*10**6) }}",
    "batch(10**9)": "{{ [1]|batch(10**9, 0)|list }}",
    "join with a 1 MB separator": "{{ range(10**5)|join('x'*10**6) }}",
    "a filtered loop that never runs its body": "{% for a in range(10**5) %}"
                                                "{% for b in range(10**5) if false %}"
                                                "{% endfor %}{% endfor %}",
    "a syntax error": "{% for %}",
}


def render_hello(template: str) -> str:
    """The child's call for run_bounded."""
    return render_chat(template, HELLO)


@pytest.mark.parametrize("template", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_template_fails_fast_within_bounds(template):
    outcome = run_bounded("tests.test_chat_template_hostile:render_hello", template)
    assert not outcome.ok, f"rendered: {outcome.value!r:.100}"
    assert outcome.type == "EngineError", outcome.traceback
    assert outcome.message.startswith(PREFIX)
    # The time is mostly the model's load, which a busy machine slows: the bound on the
    # template's own time is above; here the point is memory, and that it works at all.
    outcome.within_bounds(seconds=30, memory_mb=512)


def test_failures_name_the_cause(monkeypatch):
    # The step limit is the one under test: a slow machine must not reach the 1 s first.
    monkeypatch.setattr(template_sandbox, "SECONDS", 60.0)

    def message(template: str) -> str:
        with pytest.raises(EngineError) as caught:
            render_chat(template, HELLO)
        return str(caught.value)

    assert message(NESTED_LOOPS).endswith("it runs more than 1,000,000 steps")
    assert "3,000,000,000 bytes" in message("{{ 'A'*3000000000 }}")
    assert "range() of 1,000,000,000 numbers" in message("{{ range(10**9) }}")
    assert message("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}").endswith(
        "it recurses too deeply")
    assert message("{{ raise_exception('roles must alternate') }}") == \
        PREFIX + "roles must alternate"
    assert "KeyError" in message("{{ '{b}'.format_map({}) }}")
    assert "characters long" in message("{{ 1 }}" * 10_000)


def test_cancel_interrupts_a_long_render(monkeypatch):
    # Only the cancel may end this render, however late the timer fires on a busy machine.
    monkeypatch.setattr(template_sandbox, "SECONDS", 60.0)
    monkeypatch.setattr(template_sandbox, "STEPS", 10**12)
    token = CancelToken()
    threading.Timer(0.05, token.cancel).start()
    start = time.perf_counter()
    with pytest.raises(ChatTemplateCancelled):
        render_chat(NESTED_LOOPS, HELLO, cancelled=lambda: token.cancelled)
    assert time.perf_counter() - start < 2.0
    assert isinstance(ChatTemplateCancelled(), EngineError)


def test_a_cancelled_request_does_not_render_at_all():
    with pytest.raises(ChatTemplateCancelled):
        render_chat(None, HELLO, cancelled=lambda: True)


def test_a_hostile_render_leaves_other_threads_alone():
    results: dict[str, object] = {}

    def hostile() -> None:
        try:
            render_chat(NESTED_LOOPS, HELLO)
        except EngineError as exc:
            results["hostile"] = exc

    thread = threading.Thread(target=hostile)
    thread.start()
    for _ in range(200):  # while the other runs up its steps
        results["normal"] = render_chat(None, HELLO)
    thread.join()
    assert results["normal"] == "User: Hello\nAssistant:"
    assert isinstance(results["hostile"], EngineError)


# --- normal templates render as before ------------------------------------------------------

# Shapes real templates use: namespaces, loop variables, macros, slicing, tojson, filters.
CHATML_LIKE = (
    "{%- set ns = namespace(system='') -%}"
    "{%- for m in messages if m.role == 'system' %}{% set ns.system = m.content %}{% endfor -%}"
    "{%- macro block(role, text) %}<|im_start|>{{ role }}\n{{ text | trim }}<|im_end|>\n"
    "{% endmacro -%}"
    "{%- if ns.system %}{{ block('system', ns.system) }}{% endif -%}"
    "{%- for m in messages[1:] if m.role != 'system' -%}"
    "{{ block(m.role, m.content) }}{% if loop.last %}{{ '%d turns' % loop.length }}{% endif %}"
    "{%- endfor -%}"
    "{{ messages | map(attribute='role') | join(',') }}|{{ messages[-1] | tojson }}"
    "{{ ('x' * 3) ~ ('-' * 2) + '{:>6}'.format('r') }}{{ 'a b'.split() | length }}"
    "{{ (messages | last).content | replace('e', 'E') | center(40) | wordwrap(20) }}"
    "{%- if add_generation_prompt %}<|im_start|>assistant\n{% endif -%}"
)

CONVERSATIONS = {
    "one user message": HELLO,
    "a conversation": [
        ChatMessage("system", "You are terse."),
        ChatMessage("user", "Rewrite: the cat sat on the mat."),
        ChatMessage("assistant", "A cat sat on a mat."),
        ChatMessage("user", "Now in French, with accents: é, ü, 中文, 🙂"),
    ],
    "template-looking text": [ChatMessage("user", "{{ 'A'*3000000000 }} {% for %} %s {}")],
    "a long document": [ChatMessage("system", "Summarize."),
                        ChatMessage("user", "Lorem ipsum dolor sit amet. " * 40_000)],
}


def _old_render(template: str, messages: list[ChatMessage]) -> str:
    """What render_chat returned before it had limits: plain jinja2's sandbox."""
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.filters["tojson"] = lambda v, indent=None: __import__("json").dumps(
        v, indent=indent, ensure_ascii=False)
    return env.from_string(template).render(
        messages=[{"role": m.role, "content": m.content} for m in messages],
        add_generation_prompt=True, bos_token="<s>", eos_token="</s>")


@pytest.fixture(scope="module")
def smollm2_template(default_model_path: Path) -> str:
    template = read_model_info(default_model_path).chat_template
    assert template
    return template


@pytest.mark.parametrize("conversation", CONVERSATIONS.values(), ids=CONVERSATIONS.keys())
def test_normal_templates_render_exactly_as_before(conversation, smollm2_template):
    for template in (smollm2_template, FALLBACK_TEMPLATE, CHATML_LIKE):
        assert render_chat(template, conversation, "<s>", "</s>") == \
            _old_render(template, conversation)


def test_no_template_uses_the_fallback():
    assert render_chat(None, HELLO) == render_chat(FALLBACK_TEMPLATE, HELLO) == \
        "User: Hello\nAssistant:"


# --- a model whose template is hostile still completes raw prompts --------------------------

def _with_template(src: Path, dst: Path, template: str) -> None:
    """A copy of the model with another chat template, padded with a Jinja comment to the
    old one's length so that no offset in the file moves."""
    old = (read_model_info(src).chat_template or "").encode()
    new = template.encode()
    assert len(new) + 4 <= len(old)
    new += b"{#" + b" " * (len(old) - len(new) - 4) + b"#}"
    shutil.copyfile(src, dst)
    with dst.open("r+b") as f:
        head = f.read(16 * 2**20)
        at = head.index(len(old).to_bytes(8, "little") + old) + 8
        assert head.count(old) == 1
        f.seek(at)
        f.write(new)


def serve_raw_prompt(path: str) -> dict[str, str]:
    """The child's call for run_bounded: load the model, complete a raw prompt, then ask
    for a chat answer, which its template cannot give."""
    from writer_app.engine.engine import Engine

    engine = Engine.load(read_model_info(Path(path)))
    try:
        greedy = SamplingOptions(temperature=0.0, max_tokens=8)
        raw = engine.generate(GenerationRequest(prompt="The capital of France is",
                                                options=greedy))
        try:
            engine.generate(GenerationRequest(messages=HELLO, options=greedy))
            chat = "answered"
        except EngineError as exc:
            chat = str(exc)
        return {"raw": raw.text, "chat": chat}
    finally:
        engine.close()


@pytest.mark.parametrize("template", [NESTED_LOOPS, "{{ 'A'*3000000000 }}"],
                         ids=["nested loops", "a 3 GB constant"])
def test_a_hostile_template_does_not_stop_raw_completion(default_model_path, tmp_path,
                                                          template):
    path = tmp_path / "hostile.gguf"
    _with_template(default_model_path, path, template)
    assert (read_model_info(path).chat_template or "").startswith(template)
    # llama-cpp-python compiles the file's templates as the model loads, and jinja2 folds
    # constants while compiling: the load itself is measured too.
    outcome = run_bounded("tests.test_chat_template_hostile:serve_raw_prompt", str(path))
    assert outcome.ok, outcome.traceback
    assert "Paris" in outcome.value["raw"]
    assert re.match(re.escape(PREFIX), outcome.value["chat"])
    # The time is mostly the model's load, which a busy machine slows: the bound on the
    # template's own time is above; here the point is memory, and that it works at all.
    outcome.within_bounds(seconds=30, memory_mb=512)
