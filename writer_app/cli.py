"""Command line: `writer-app` starts the window; subcommands work headless over the engine.

Bad input never shows a traceback: a WriterError becomes one line on stderr and exit 1.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import signal
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from writer_app import paths, settings
from writer_app.documents.model import Document
from writer_app.engine import memory
from writer_app.engine.catalog import find_entry, load_catalog
from writer_app.engine.discovery import discover, resolve
from writer_app.engine.engine import Engine
from writer_app.engine.errors import EngineError
from writer_app.engine.hardware import available_memory
from writer_app.engine.types import (
    CancelToken,
    ChatMessage,
    EngineConfig,
    GenerationRequest,
    SpellCheckChoice,
    choices,
)
from writer_app.errors import WriterError

PROG = "writer-app"


def _engine_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--engine", metavar="URL",
                   help="a server speaking the OpenAI-compatible API (vLLM, llama-server, "
                        "Ollama, LM Studio), e.g. http://localhost:8080/v1")
    p.add_argument("--api-key-env", metavar="VAR",
                   help="the environment variable that holds the server's API key")
    p.add_argument("--requests", type=int, metavar="N",
                   help="with --engine, requests sent at once (a summary's parts); "
                        "default: the server_requests setting, 0 = as the server says")


def _model_options(p: argparse.ArgumentParser) -> None:
    _engine_options(p)
    p.add_argument("--model", metavar="NAME_OR_PATH",
                   help="a GGUF file, part of its name, or a Hugging Face model folder; "
                        "with --engine, the server's model")
    p.add_argument("--backend", choices=settings.choices_of("backend"),
                   help="run a GGUF file on transformers instead of llama.cpp, or the reverse")
    p.add_argument("--device", choices=settings.choices_of("device"),
                   help="transformers' device (auto: CUDA, then MPS, then CPU)")


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="Writer: an offline writing "
                                     "assistant. With no command, the window opens.")
    parser.add_argument("--model-dir", action="append", default=[], metavar="DIR",
                        help="also look for models in DIR (may be repeated)")
    sub = parser.add_subparsers(dest="command")

    models = sub.add_parser("models", help="list the models found, with their metadata")
    models.add_argument("--json", action="store_true", help="print JSON")
    _engine_options(models)
    down = sub.add_parser("download", help="download a model of the catalog (by its name) or "
                          "a GGUF model from a link (Hugging Face or any server) into your "
                          "models folder; Ctrl-C stops, again resumes")
    down.add_argument("url", metavar="NAME_OR_URL")
    down.add_argument("--to", type=Path, help="the folder (default: your models folder)")
    down.add_argument("--catalog", type=Path, help=argparse.SUPPRESS)  # tests: another one
    cat = sub.add_parser("catalog", help="list the recommended models, and whether each fits "
                         "this machine's memory")
    cat.add_argument("--json", action="store_true", help="print JSON")
    cat.add_argument("--catalog", type=Path, help=argparse.SUPPRESS)

    gen = sub.add_parser("generate", help="stream a model's answer to a prompt")
    gen.add_argument("prompt")
    _model_options(gen)
    gen.add_argument("--max-tokens", type=int)
    gen.add_argument("--temperature", type=float)
    gen.add_argument("--seed", type=int)
    gen.add_argument("--raw", action="store_true",
                     help="plain completion of the prompt, without the chat template")
    gen.add_argument("--json", action="store_true",
                     help="print one JSON object with the text and figures at the end")
    sub.add_parser("self-test", help="open the window offscreen, run one suggestion with the "
                   "default model, accept it and undo it")
    sub.add_parser("actions", help="list the writing actions")
    rw = sub.add_parser("rewrite", help="run a writing action on a file or standard input")
    rw.add_argument("file", nargs="?", default="-", metavar="FILE|-")
    rw.add_argument("--action", required=True, metavar="NAME")
    rw.add_argument("--instruction", metavar="TEXT", help="for the custom action")
    rw.add_argument("--diff", action="store_true",
                    help="print a word diff: [-removed-]{+added+}")
    _model_options(rw)
    rw.add_argument("--seed", type=int)
    _encoding_option(rw)

    tr = sub.add_parser("translate", help="translate a file or standard input, keeping its "
                        "Markdown structure")
    tr.add_argument("file", nargs="?", default="-", metavar="FILE|-")
    tr.add_argument("--to", required=True, metavar="LANG", help="code or name: fr, German, …")
    tr.add_argument("--from", dest="source", metavar="LANG",
                    help="the source language, when detection is unsure")
    tr.add_argument("--json", action="store_true")
    _model_options(tr)
    _encoding_option(tr)

    sp = sub.add_parser("spell", help="list the misspelled words of a file or standard "
                        "input, with their positions and suggestions")
    sp.add_argument("file", nargs="?", default="-", metavar="FILE|-")
    sp.add_argument("--lang", metavar="DICT", choices=["auto", *DICTIONARY_NAMES],
                    default=None, help="a dictionary (" + ", ".join(DICTIONARY_NAMES)
                    + "); default: the settings' choice, each paragraph in its language")
    sp.add_argument("--json", action="store_true")
    _encoding_option(sp)
    ext = sub.add_parser("extract", help="print the text of a document (PDF, DOCX, ODT, "
                         "EPUB, HTML, RTF, Markdown, text)")
    ext.add_argument("file", help="a file, or a web page's address (downloaded once)")
    ext.add_argument("--json", action="store_true", help="print the structure as JSON")
    _encoding_option(ext)
    summ = sub.add_parser("summarize", help="summarize a document, every part of it; "
                          "progress goes to stderr")
    summ.add_argument("file", help="a file, or a web page's address (downloaded once)")
    summ.add_argument("--length", choices=["short", "medium", "points"], default="medium")
    summ.add_argument("--budget", choices=settings.choices_of("summary_budget"),
                      help="how much of a long document the model reads: every word "
                           "(thorough), or each section's key sentences (default, quick); "
                           "default: the summary_budget setting")
    summ.add_argument("--outline", action="store_true",
                      help="only the outline: each section's most central sentences, "
                           "chosen without the model (in a moment)")
    summ.add_argument("--map-model", metavar="NAME_OR_PATH",
                      help="a smaller, faster model that summarizes a long document's "
                           "parts; the model (--model) combines them; default: the "
                           "summary_map_model setting (\"\" for none)")
    _model_options(summ)
    summ.add_argument("--json", action="store_true", help="print one JSON object at the end")
    ask = sub.add_parser("ask", help="ask a document a question; the answer cites its "
                         "passages (heading, page, quote)")
    ask.add_argument("file", help="a file, or a web page's address (downloaded once)")
    ask.add_argument("question")
    _model_options(ask)
    ask.add_argument("--json", action="store_true", help="print answer, citations and "
                     "passages_considered as one JSON object")
    _encoding_option(ask)
    _encoding_option(summ)
    tone = sub.add_parser("tone", help="rate each paragraph's sentiment and tone, with a "
                          "reason; progress goes to stderr")
    tone.add_argument("file", nargs="?", default="-", metavar="FILE|-",
                      help="a file, a web page's address, or - for standard input")
    _model_options(tone)
    tone.add_argument("--json", action="store_true", help="print overall and paragraphs "
                      "(offsets, sentiment, tone, reason) as one JSON object")
    _encoding_option(tone)
    speak = sub.add_parser("speak", help="read a file aloud with the platform's voice, or "
                           "write the speech to a WAV file; progress goes to stderr")
    speak.add_argument("file", nargs="?", default="-", metavar="FILE|-",
                       help="a file, a web page's address, or - for standard input")
    speak.add_argument("--to", metavar="OUT.wav", help="write a WAV file instead of playing")
    speak.add_argument("--voice", help="a voice's name (`speak --voices` lists them); "
                       "default: the speech_voice setting")
    speak.add_argument("--rate", type=int, metavar="WPM",
                       help="words a minute, 80 to 450; default: the speech_rate setting")
    speak.add_argument("--voices", action="store_true", help="list the voices and stop")
    speak.add_argument("--json", action="store_true", help="with --to: print the sentences' "
                       "and words' offsets and times as JSON")
    _encoding_option(speak)
    return parser


DICTIONARY_NAMES = [c for c in choices(SpellCheckChoice) if c not in ("auto", "off")]


def _encoding_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--encoding", metavar="NAME",
                        help="the encoding of a text or Markdown file (cp1251, big5, latin-1, "
                             "…) when the guess is wrong")


def _folders(args: argparse.Namespace, prefs: settings.Settings) -> list[Path]:
    return paths.model_search_dirs([*prefs.extra_model_dirs, *args.model_dir])


def _api_key(args: argparse.Namespace) -> str | None:
    if not args.api_key_env:
        return None
    key = os.environ.get(args.api_key_env)
    if not key:
        raise WriterError(f"--api-key-env {args.api_key_env}: that variable is not set")
    return key


def _load_engine(args: argparse.Namespace, prefs: settings.Settings) -> Engine:
    if args.engine:
        from writer_app.engine.remote_backend import is_loopback, is_unencrypted, server_host

        if is_unencrypted(args.engine) and not is_loopback(args.engine):
            print(f"warning: {server_host(args.engine)} is another machine and the address "
                  "is http://: your text travels to it unencrypted", file=sys.stderr)
        requests = prefs.server_requests if args.requests is None else args.requests
        if requests < 0:
            raise WriterError(f"--requests {requests}: give 0 (as the server says) or more")
        return Engine.connect(args.engine, _api_key(args), args.model, requests)
    return Engine.load_named(args.model or prefs.model_path or None, _folders(args, prefs),
                             _engine_config(args, prefs), prefs.model_stores())


def _engine_config(args: argparse.Namespace, prefs: settings.Settings) -> EngineConfig:
    return dataclasses.replace(prefs.engine_config(), backend=args.backend or prefs.backend,
                               device=args.device or prefs.device)


def _load_map_engine(name: str, engine: Engine, args: argparse.Namespace,
                     prefs: settings.Settings) -> Engine:
    """The model named to summarize parts, loaded on this computer like --model (the
    engine itself when it names the same file)."""
    info = resolve(name, _folders(args, prefs), prefs.model_stores())
    if not args.engine and info.path.resolve() == engine.info.path.resolve():
        return engine
    return Engine.load(info, _engine_config(args, prefs))


def _write(piece: str) -> None:
    sys.stdout.write(piece)
    sys.stdout.flush()


@contextlib.contextmanager
def _interrupt_cancels(cancel: CancelToken) -> Iterator[None]:
    """Ctrl-C cancels the running request (it stops at the next token)."""

    def on_interrupt(_sig: int, _frame: FrameType | None) -> None:
        cancel.cancel()

    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _cmd_catalog(args: argparse.Namespace, prefs: settings.Settings) -> int:
    entries = load_catalog(args.catalog)
    found = discover(_folders(args, prefs), prefs.model_stores())
    free = available_memory()
    rows: list[dict[str, Any]] = []
    for e in entries:
        needed, n_ctx = e.needed_bytes(prefs.context_length_cap)
        here = e.on_disk(found)
        rows.append({"id": e.id, "name": e.name, "family": e.family,
                     "parameters": e.parameters, "quantization": e.quantization,
                     "file_name": e.file_name, "url": e.url, "size": e.size,
                     "sha256": e.sha256, "licence": e.licence, "languages": e.languages,
                     "context_length": e.context_length, "description": e.description,
                     "memory_needed": needed, "context": n_ctx,
                     "fit": memory.fit(needed, free),
                     "on_disk": str(here.path) if here else None})
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    for r in rows:
        where = f"; on disk: {r['on_disk']}" if r["on_disk"] else ""
        print(f"{r['id']}: {r['name']} ({r['parameters']}, {r['quantization']}, "
              f"{memory.gib(r['size'])} download, {r['licence']})\n  {r['description']}\n"
              f"  memory: {r['fit']} (about {memory.gib(r['memory_needed'])} at a context of "
              f"{r['context']} tokens; {memory.gib(free)} free){where}")
    return 0


def _cmd_download(args: argparse.Namespace) -> int:
    from writer_app.engine.model_download import ModelDownloadCancelled, download_model
    from writer_app.net import is_web_address

    folder = args.to or paths.user_models_dir()
    url, sha256, size = args.url, None, None
    if not is_web_address(args.url):
        entry = find_entry(args.url, load_catalog(args.catalog))
        if entry is None:
            raise WriterError(f"{args.url!r} is neither a link nor a model of the catalog "
                              "(`writer-app catalog` lists them)")
        url, sha256 = entry.url, entry.sha256
        size = entry.size if entry.size_verified else None
    cancel = CancelToken()
    shown = [-1]

    def progress(done: int, total: int | None) -> None:
        step = done * 100 // total if total else done // (50 * 2**20)
        if step != shown[0]:  # a line per percent (or per 50 MiB without a size)
            shown[0] = step
            of = f" of {total / 2**20:.0f} MiB ({step}%)" if total else " MiB"
            print(f"\r{done / 2**20:.0f}{of}", end="", file=sys.stderr, flush=True)

    try:
        with _interrupt_cancels(cancel):
            path, info = download_model(url, folder, progress, lambda: cancel.cancelled,
                                        lambda note: print(f"\n{note}", file=sys.stderr),
                                        sha256=sha256, size=size)
    except ModelDownloadCancelled as exc:
        print(f"\n{exc}", file=sys.stderr)
        return 130
    finally:
        print(file=sys.stderr)
    print(f"{path}\n  {info.name}: {info.architecture}, {info.parameters_label} parameters, "
          f"{info.quantization}, context {info.context_length}")
    return 0


def _cpu_variant() -> str:
    """The llama.cpp CPU variant this machine runs, e.g. "CPU: AVX2 variant (haswell)"."""
    try:
        from writer_app.engine import llama_runtime
    except ImportError:  # a transformers-only install
        return ""
    except (OSError, RuntimeError) as exc:  # its libraries would not load
        return f"unusable: llama.cpp could not load ({exc})"
    try:
        return llama_runtime.ensure_loaded().describe()
    except EngineError as exc:
        return f"unusable: {exc}"


def _cmd_server_models(args: argparse.Namespace) -> int:
    from writer_app.engine.remote_backend import list_models

    models = list_models(args.engine, _api_key(args))
    if args.json:
        print(json.dumps(models, indent=2))
        return 0
    for m in models:
        context = f", context {m['context_length']}" if m.get("context_length") else ""
        print(f"{m['id']} (from {m['server']}{context})")
    return 0


def _cmd_models(args: argparse.Namespace, prefs: settings.Settings) -> int:
    if args.engine:
        return _cmd_server_models(args)
    found = discover(_folders(args, prefs), prefs.model_stores())
    cpu = _cpu_variant()
    free = available_memory()
    fits = {m.path: memory.model_fit(m.info, prefs.context_length_cap, free)
            for m in found if m.info}
    if args.json:
        rows = [{**m.info.to_json(), "cpu_variant": cpu, "source": m.source,
                 "name": m.label, "fit": fits[m.path][0], "memory_needed": fits[m.path][1],
                 "memory_available": free} if m.info
                else {"path": str(m.path), "error": m.error, "source": m.source,
                      "name": m.label} for m in found]
        print(json.dumps(rows, indent=2))
        return 0
    if not found:
        folders = ", ".join(str(f) for f in _folders(args, prefs))
        print(f"no models found in {folders}")
        return 0
    for m in found:
        if m.info is None:
            print(f"{m.label} (from {m.source})\n  unusable: {m.error}")
            continue
        i = m.info
        print(f"{m.label} (from {m.source})\n  {i.name}: {i.architecture}, "
              f"{i.parameters_label} parameters, "
              f"{i.quantization}, context {i.context_length}, "
              f"chat template: {'yes' if i.has_chat_template else 'no'}, "
              f"{i.file_size / 2**20:.0f} MiB\n  {m.path}")
        fit, needed, n_ctx = fits[m.path]
        print(f"  memory: {fit} (about {memory.gib(needed)} at a context of {n_ctx} "
              f"tokens; {memory.gib(free)} free)")
    if cpu:
        print(f"\nllama.cpp runs on {cpu}")
    return 0


def _cmd_generate(args: argparse.Namespace, prefs: settings.Settings) -> int:
    if args.max_tokens is not None and args.max_tokens < 1:
        raise WriterError("--max-tokens must be at least 1")
    # Checked (bounds, NaN) before the model loads.
    options = prefs.sampling(temperature=args.temperature, seed=args.seed,
                             max_tokens=args.max_tokens)
    engine = _load_engine(args, prefs)
    cancel = CancelToken()
    if args.raw:
        request = GenerationRequest(prompt=args.prompt, options=options, cancel=cancel)
    else:
        request = GenerationRequest(messages=[ChatMessage("user", args.prompt)],
                                    options=options, cancel=cancel)

    try:
        with _interrupt_cancels(cancel):
            result = engine.generate(request, None if args.json else _write)
    finally:
        engine.close()
    if args.json:
        print(json.dumps({
            "text": result.text,
            "model": engine.info.path.name,
            "prompt_tokens": result.prompt_tokens,
            "completion_tokens": result.completion_tokens,
            "seconds": round(result.seconds, 4),
            "tokens_per_second": round(result.tokens_per_second, 2),
            "finish_reason": result.finish_reason,
            "context_length": engine.context_length,
            "device": engine.device.device,
            "device_reason": engine.device.reason,
            "cpu_variant": engine.device.cpu,
        }, ensure_ascii=False))
    else:
        print()
    return 130 if result.cancelled else 0


def _cmd_actions(prefs: settings.Settings) -> int:
    from writer_app.tasks.actions import all_actions

    for action in all_actions(prefs.custom_actions):
        print(f"{action.name:10s} {action.label}  ({action.use} the text)")
    return 0


def _read_input(name: str, purpose: str, encoding: str | None = None) -> str:
    """The text of FILE or of standard input ("-"); empty input is an error."""
    if name == "-" and encoding:
        from writer_app.documents.text import NotText, decode_text

        try:
            text = decode_text(sys.stdin.buffer.read(), encoding).text
        except NotText as exc:
            raise WriterError(f"standard input: {exc}") from None
    elif name == "-":
        text = sys.stdin.read()
    else:
        text = _read_file(Path(name), encoding)
    if not text.strip():
        where = "standard input" if name == "-" else name
        raise WriterError(f"{where} is empty: there is no text to {purpose}")
    return text


def _read_text_or_page(name: str, purpose: str, encoding: str | None = None) -> str:
    """The text of FILE or standard input (as _read_input), or of a web page's address."""
    from writer_app.net import is_web_address

    if is_web_address(name):
        return _read_source(name, encoding).text()
    return _read_input(name, purpose, encoding)


def _read_file(path: Path, encoding: str | None = None) -> str:
    # Plain text and Markdown are read as they are, so their markup survives; any other
    # document goes through its loader.
    if path.suffix.lower() in (".txt", ".md", ".markdown", ""):
        from writer_app.documents.text import read_text_file

        decoded = read_text_file(path, encoding)
        if decoded.note:
            print(f"writer-app: {path}: {decoded.note}", file=sys.stderr)
        return decoded.text
    from writer_app.documents.loader import load_document

    return load_document(path, encoding).text()


def _cmd_rewrite(args: argparse.Namespace, prefs: settings.Settings) -> int:
    from writer_app.tasks.actions import find_action
    from writer_app.tasks.diff import render_diff
    from writer_app.tasks.proofread import run_writing_action
    from writer_app.tasks.spelling import SpellSession

    action = find_action(args.action, prefs.custom_actions)
    text = _read_input(args.file, "work on", args.encoding)
    engine = _load_engine(args, prefs)
    cancel = CancelToken()

    def progress(i: int, n: int) -> None:
        if n > 1:
            print(f"paragraph {i} of {n}", file=sys.stderr, flush=True)

    try:
        with _interrupt_cancels(cancel):
            # The same pipeline as the window: a proofread checks spelling first.
            session = SpellSession(prefs.spell_check, prefs.english_spelling)
            result = run_writing_action(engine, action, text, session,
                                        instruction=args.instruction,
                                        options=prefs.sampling(temperature=0.2, seed=args.seed),
                                        cancel=cancel, progress=progress)
    finally:
        engine.close()
    if result.cancelled:
        return 130
    print(render_diff(result.changes) if args.diff else result.text)
    return 0


def _cmd_translate(args: argparse.Namespace, prefs: settings.Settings) -> int:
    from writer_app.tasks.languages import language
    from writer_app.tasks.translate import translate

    target = language(args.to)
    source = language(args.source) if args.source else None
    text = _read_input(args.file, "translate", args.encoding)
    engine = _load_engine(args, prefs)
    cancel = CancelToken()

    def progress(i: int, n: int) -> None:
        print(f"block {i} of {n}", file=sys.stderr, flush=True)

    try:
        with _interrupt_cancels(cancel):
            result = translate(engine, text, target, source=source, cancel=cancel,
                               progress=progress)
    finally:
        engine.close()
    if result.cancelled:
        return 130
    if args.json:
        detected = result.source
        print(json.dumps({"text": result.text, "to": target.name,
                          "from": (source or detected.language).name,
                          "detected": {"code": detected.language.code,
                                       "language": detected.language.name,
                                       "confidence": round(detected.confidence, 4),
                                       "sure": detected.sure},
                          "blocks": result.blocks}, ensure_ascii=False))
    else:
        if source is None and not result.source.sure:
            print(f"note: the source language looks like {result.source.language.name} "
                  f"({result.source.confidence:.0%} sure); set it with --from",
                  file=sys.stderr)
        print(result.text)
    return 0


def _read_source(source: str, encoding: str | None = None) -> Document:
    """A file, or a web page the user named on the command line (downloaded once)."""
    from writer_app.documents.loader import load_document
    from writer_app.documents.web import load_web_page
    from writer_app.net import is_web_address

    doc = load_web_page(source) if is_web_address(source) else load_document(
        Path(source), encoding)
    for note in doc.notes:
        print(f"writer-app: {source}: {note}", file=sys.stderr)
    return doc


def _cmd_spell(args: argparse.Namespace, prefs: settings.Settings) -> int:
    """Each misspelling: line:column, the word, its suggestions. Exits 1 when there are
    any (as linters do). Each paragraph is checked in its own language."""
    import bisect
    import re

    from writer_app.tasks.spelling import SpellSession

    text = _read_input(args.file, "check", args.encoding)
    session = SpellSession(args.lang or prefs.spell_check, prefs.english_spelling)
    line_starts = [0] + [m.end() for m in re.finditer(r"\n", text)]
    found: list[dict[str, object]] = []
    for speller, offset, m in session.misspellings_in(text):
        at = offset + m.start
        line = bisect.bisect_right(line_starts, at)
        suggestions = speller.suggestions(m.word)
        found.append({"line": line, "column": at - line_starts[line - 1] + 1,
                      "offset": at, "word": m.word, "suggestions": suggestions})
        if not args.json:
            print(f"{line}:{at - line_starts[line - 1] + 1}: {m.word}"
                  + (f" -> {', '.join(suggestions)}" if suggestions else ""))
    if args.json:
        print(json.dumps(found, ensure_ascii=False, indent=2))
    return 1 if found else 0


def _cmd_extract(args: argparse.Namespace) -> int:
    doc = _read_source(args.file, args.encoding)
    if args.json:
        print(json.dumps(doc.to_json(), ensure_ascii=False, indent=2))
    else:
        print(doc.text())
    return 0


def _cmd_summarize(args: argparse.Namespace, prefs: settings.Settings) -> int:
    from writer_app.tasks.outline import coverage
    from writer_app.tasks.summarize import summarize

    doc = _read_source(args.file, args.encoding)  # a bad file is reported before the model loads
    if args.outline:
        return _print_outline(doc, args.json)
    engine = _load_engine(args, prefs)
    map_name = prefs.summary_map_model if args.map_model is None else args.map_model
    try:
        map_engine = _load_map_engine(map_name, engine, args, prefs) if map_name else None
    except BaseException:
        engine.close()
        raise
    cancel = CancelToken()
    started = time.perf_counter()
    part_times: list[tuple[int, float]] = []  # (part, seconds from the start) as each is done

    def progress(stage: str, i: int, n: int) -> None:
        label = {"part": "summarizing part", "combine": "combining summaries",
                 "summary": "summarizing"}[stage]
        print(f"{label} {i} of {n}", file=sys.stderr, flush=True)

    try:
        with _interrupt_cancels(cancel):
            result = summarize(doc, engine, args.length, cancel=cancel, progress=progress,
                               on_piece=None if args.json else _write,
                               budget=args.budget or prefs.summary_budget,
                               on_part=lambda i, _text: part_times.append(
                                   (i, time.perf_counter() - started)),
                               map_engine=map_engine)
    finally:
        engine.close()
        if map_engine is not None and map_engine is not engine:
            map_engine.close()
    if args.json:
        source = {"path": str(doc.path), "type": doc.type, "title": doc.title,
                  "pages": doc.pages, "words": doc.words}
        print(json.dumps({"summary": result.summary, "parts": result.parts,
                          "input_tokens": result.input_tokens,
                          "read_share": round(result.read_share, 4),
                          "coverage": round(coverage(doc, result.summary), 4),
                          "part_seconds": [round(t, 3) for _, t in sorted(part_times)],
                          "seconds": round(result.seconds, 3),
                          "model_seconds": round(result.model_seconds, 3),
                          "model": engine.info.path.name, "map_model": result.map_model,
                          "source": source}, ensure_ascii=False))
    else:
        print()
    return 130 if result.cancelled else 0


def _cmd_ask(args: argparse.Namespace, prefs: settings.Settings) -> int:
    from writer_app.tasks.ask import ask

    doc = _read_source(args.file, args.encoding)  # a bad file is reported before the model loads
    engine = _load_engine(args, prefs)
    cancel = CancelToken()
    try:
        with _interrupt_cancels(cancel):
            answer = ask(doc, engine, args.question, cancel=cancel,
                         on_piece=None if args.json else _write)
    finally:
        engine.close()
    if args.json:
        print(json.dumps({**answer.to_json(), "source": str(doc.path)}, ensure_ascii=False))
        return 130 if answer.cancelled else 0
    print()
    for c in answer.citations:
        where = c.heading + (f", page {c.page}" if c.page else "")
        print(f"  [{where or 'block ' + str(c.block)}] \"{c.quote}\"")
    return 130 if answer.cancelled else 0


def _cmd_tone(args: argparse.Namespace, prefs: settings.Settings) -> int:
    from writer_app.tasks.tone import Rating, check_tone

    # A bad file is reported before the model loads; offsets in --json are the file's own
    # (a document's: its text as extracted).
    text = _read_text_or_page(args.file, "rate", args.encoding)
    name = "standard input" if args.file == "-" else args.file
    engine = _load_engine(args, prefs)
    cancel = CancelToken()

    def show(rating: Rating) -> None:  # as each is done
        if not args.json:
            label = f"{rating.sentiment}, {rating.tone}" if rating.rated else "unrated"
            print(f"{rating.paragraph.index + 1}: {label}: {rating.reason}", flush=True)

    try:
        with _interrupt_cancels(cancel):
            report = check_tone(text, engine, cancel=cancel, on_rating=show, name=name,
                                progress=lambda i, n: print(f"rating paragraph {i + 1} of {n}",
                                                            file=sys.stderr, flush=True))
    finally:
        engine.close()
    if args.json:
        print(json.dumps({**report.to_json(), "source": name}, ensure_ascii=False))
    else:
        print(f"Overall: {report.overall}")
    return 130 if report.cancelled else 0


def _cmd_speak(args: argparse.Namespace, prefs: settings.Settings) -> int:
    from writer_app.speech import voice as speech_voice

    if args.voices:
        for v in speech_voice.voices():
            print(f"{v.name}\t{v.languages}\t{v.identifier}")
        return 0
    text = _read_text_or_page(args.file, "read aloud", args.encoding)
    voice = prefs.speech_voice if args.voice is None else args.voice
    rate = prefs.speech_rate if args.rate is None else args.rate
    if not speech_voice.MIN_RATE <= rate <= speech_voice.MAX_RATE:
        raise WriterError(f"--rate {rate}: give {speech_voice.MIN_RATE} to "
                          f"{speech_voice.MAX_RATE} words a minute")
    if args.to:
        speech = speech_voice.synthesize(text, voice, rate)
        speech.write_wav(Path(args.to))
        if args.json:
            hz = speech.sample_rate
            print(json.dumps({
                "wav": args.to, "seconds": round(speech.seconds, 3), "sample_rate": hz,
                "sentences": [{"start": s.start, "end": s.end,
                               "seconds": round(s.first_sample / hz, 3)}
                              for s in speech.sentences],
                "words": [{"start": w.start, "end": w.end, "seconds": round(w.sample / hz, 3)}
                          for w in speech.words]}, ensure_ascii=False))
        else:
            print(f"{args.to}: {speech.seconds:.1f} s, {len(speech.sentences)} sentences",
                  file=sys.stderr)
        return 0
    return _play_aloud(text, voice, rate)


def _play_aloud(text: str, voice: str, rate: int) -> int:
    from writer_app.speech.player import Player

    player = Player(text, voice, rate)
    player.start()
    shown = None
    try:
        while player.state in ("starting", "playing"):
            sentence = player.sentence()
            if sentence is not None and sentence != shown:
                shown = sentence
                print(" ".join(text[sentence[0]:sentence[1]].split()), file=sys.stderr,
                      flush=True)
            time.sleep(0.04)
    except KeyboardInterrupt:
        player.stop()
        player.wait(2)
        raise
    if player.state == "failed":
        raise WriterError(player.error)
    return 0


def _print_outline(doc: Document, as_json: bool) -> int:
    from writer_app.tasks.outline import outline

    cancel = CancelToken()
    with _interrupt_cancels(cancel):
        result = outline(doc, cancel=cancel)
    if not result.sections:
        raise WriterError(f"{doc.path}: has no text to outline")
    if as_json:
        print(json.dumps({"outline": result.to_json(), "source": str(doc.path)},
                         ensure_ascii=False))
    else:
        print(result.markdown())
    return 130 if result.cancelled else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    try:
        prefs = settings.load()
        if args.command is None:
            from writer_app.app import run_gui  # Qt only when the window is wanted

            return run_gui(prefs, _folders(args, prefs))
        if args.command == "models":
            return _cmd_models(args, prefs)
        if args.command == "download":
            return _cmd_download(args)
        if args.command == "catalog":
            return _cmd_catalog(args, prefs)
        if args.command == "self-test":
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
            from writer_app.ui.platform_check import qt_gui_modules

            qt_gui_modules()  # a missing system library is one line, not a traceback
            from writer_app.ui.self_test import run_self_test

            return run_self_test(prefs, _folders(args, prefs))
        if args.command == "actions":
            return _cmd_actions(prefs)
        if args.command == "rewrite":
            return _cmd_rewrite(args, prefs)
        if args.command == "translate":
            return _cmd_translate(args, prefs)
        if args.command == "extract":
            return _cmd_extract(args)
        if args.command == "spell":
            return _cmd_spell(args, prefs)
        if args.command == "summarize":
            return _cmd_summarize(args, prefs)
        if args.command == "ask":
            return _cmd_ask(args, prefs)
        if args.command == "tone":
            return _cmd_tone(args, prefs)
        if args.command == "speak":
            return _cmd_speak(args, prefs)
        return _cmd_generate(args, prefs)
    except WriterError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
