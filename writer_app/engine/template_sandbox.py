"""A jinja2 sandbox that also limits what a template spends: time, steps and memory.

A chat template comes inside a model file, so it is untrusted code that runs on every
request. jinja2's sandbox keeps it away from Python's internals, but not from the
machine: nested loops run for hours and `'A' * 3000000000` takes gigabytes in one C
call that no clock can interrupt. So this environment

- counts a step for every loop iteration (injected into each compiled `for`), call and
  filter, and checks the clock and the cancel callable as it counts;
- estimates the size of every value it is asked to build (operators, string methods,
  filters, formatting, joining) and refuses one over the limit *before* building it;
- adds up what it built, so many values under the limit cannot add up to gigabytes;
- sizes containers before they are turned into text, compared or hashed: a list that
  holds another twice, forty levels deep, is small in memory but 2**40 items unfolded.

The limits are held in a `Budget` that is active for one render (a ContextVar, so renders
on other threads keep their own).
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from itertools import islice
from types import BuiltinMethodType, MethodType
from typing import Any, cast

from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame, operators
from jinja2.filters import make_attrgetter
from jinja2.runtime import Context, markup_join
from jinja2.sandbox import (
    ImmutableSandboxedEnvironment,
    SandboxedEscapeFormatter,
    SandboxedFormatter,
)
from jinja2.utils import Namespace, _PassArg
from markupsafe import Markup

from writer_app.engine.errors import EngineError

# A real template renders in well under a millisecond; these leave it a thousand times
# that and stop a hostile one long before anyone waits on it.
SECONDS = 1.0
STEPS = 1_000_000
RANGE_ITEMS = 100_000
# Bytes of one value, and of all values built in one render, on top of a share of the
# input (a long document makes a long prompt).
VALUE_BYTES = 16 * 2**20
TOTAL_BYTES = 128 * 2**20
VALUE_PER_INPUT = 8  # a message's JSON escapes can take 6 bytes a character
TOTAL_PER_INPUT = 32
# Integers: a template counts and indexes; it never needs big numbers.
INT_BITS = 4096
# Filters that run a Python loop per word or line: uninterruptible, so their input is small
# (beyond what the messages bring).
SLOW_FILTER_INPUT = 256 * 2**10
# How often a render asks its cancel callable.
CANCEL_POLL_S = 0.002

# The cost of one item in a list, or in a container's text (brackets, commas, quotes).
ITEM_BYTES = 8
# A fresh small str object (a character outside Latin-1, a piece of a split).
OBJECT_BYTES = 80


class TemplateLimitError(Exception):
    """A template went over a limit; render_chat turns it into an EngineError."""


class ChatTemplateCancelled(EngineError):
    def __init__(self) -> None:
        super().__init__("rendering the chat template was cancelled")


class Budget:
    """What one render may still spend."""

    def __init__(self, input_bytes: int, cancelled: Callable[[], bool] | None = None,
                 seconds: float | None = None) -> None:
        seconds = SECONDS if seconds is None else seconds  # read now: tests change it
        self.seconds = seconds
        self.input_bytes = input_bytes
        self.deadline = time.monotonic() + seconds
        self.value_limit = VALUE_BYTES + VALUE_PER_INPUT * input_bytes
        self.total_limit = TOTAL_BYTES + TOTAL_PER_INPUT * input_bytes
        self.built = 0
        self.steps = 0
        self.cancelled = cancelled
        self._next_poll = 0.0

    def step(self) -> None:
        self.steps += 1
        if self.steps > STEPS:
            raise TemplateLimitError(f"it runs more than {STEPS:,} steps")
        now = time.monotonic()
        if now > self.deadline:
            raise TemplateLimitError(f"it runs longer than {self.seconds:g} s")
        if self.cancelled is not None and now >= self._next_poll:
            self._next_poll = now + CANCEL_POLL_S
            if self.cancelled():
                raise ChatTemplateCancelled()

    def build(self, nbytes: int, what: str = "a value") -> None:
        """Account for a value of `nbytes` about to be (or just) built."""
        if nbytes > self.value_limit:
            raise TemplateLimitError(f"{what} would take {nbytes:,} bytes "
                                     f"(the limit is {self.value_limit:,})")
        self.built += nbytes
        if self.built > self.total_limit:
            raise TemplateLimitError(f"it builds more than {self.total_limit:,} bytes of values")


_active: ContextVar[Budget | None] = ContextVar("template_budget", default=None)


def current() -> Budget:
    """The active render's budget; outside a render, a fresh one (sizes still checked)."""
    return _active.get() or Budget(0)


@contextmanager
def limited(budget: Budget) -> Iterator[Budget]:
    token = _active.set(budget)
    try:
        yield budget
    finally:
        _active.reset(token)


# --- sizes -------------------------------------------------------------------------------

def nbytes(value: object) -> int:
    """Memory of a str, bytes or container itself (not of the items it refers to)."""
    if isinstance(value, str):
        # isascii is O(1); anything else is counted at the widest (4 bytes a character).
        return len(value) if value.isascii() else 4 * len(value)
    if isinstance(value, (bytes, bytearray)):
        return len(value)
    if isinstance(value, (list, tuple, dict)):
        return ITEM_BYTES * len(value)
    return 0


def _items_bytes(value: object) -> int:
    """A list made of `value`'s items: pointers, plus a new object per non-Latin-1 char."""
    if isinstance(value, str):
        return ITEM_BYTES * len(value) + (0 if value.isascii() else OBJECT_BYTES * len(value))
    if isinstance(value, (list, tuple, dict, range, bytes)):
        return ITEM_BYTES * len(value)
    return 0


def _children(obj: object) -> Iterable[object] | None:
    if isinstance(obj, dict):
        return (x for pair in obj.items() for x in pair)
    if isinstance(obj, (list, tuple)):
        return obj
    if isinstance(obj, Namespace):
        return (obj._Namespace__attrs,)
    return None


def _leaf_size(obj: object) -> int:
    if isinstance(obj, str):
        return 6 * nbytes(obj)  # escaped: \u0000
    if isinstance(obj, (bytes, bytearray)):
        return 4 * len(obj)  # \x00
    if isinstance(obj, int):
        return obj.bit_length() // 3 + 2
    return 64  # a float, None, a range, a function: a short repr


def text_size(value: object, cap: int, quoted: bool = False, indent: int = 0) -> int:
    """An upper bound on the length of `value`'s text (str, repr or JSON), counted no
    further than `cap`. Containers met again are counted from memory, so a list that
    holds another twice, forty levels deep, costs forty steps, not 2**40."""
    if isinstance(value, str) and not quoted:
        return nbytes(value)
    known: dict[tuple[int, int], int] = {}
    open_ids: set[int] = set()  # a Namespace can hold itself: its repr says "..."
    # Each frame: [key, children, depth, size so far]
    stack: list[list[Any]] = []

    def visit(obj: object, depth: int) -> int | None:
        """The size of a leaf or a container already counted; None when it is opened."""
        base = ITEM_BYTES + depth * indent
        children = _children(obj)
        if children is None:
            return base + _leaf_size(obj)
        key = (id(obj), depth if indent else 0)
        if key in known:
            return known[key]
        if id(obj) in open_ids:
            return base + ITEM_BYTES
        open_ids.add(id(obj))
        stack.append([key, iter(children), depth, base])
        return None

    size = visit(value, 0)
    while stack:
        frame = stack[-1]
        child = next(frame[1], _END)
        if child is not _END:
            size = visit(child, frame[2] + 1)
            if size is None:
                continue
            frame[3] += size
        else:
            stack.pop()
            open_ids.discard(frame[0][0])
            known[frame[0]] = size = frame[3]
            if not stack:
                break
            stack[-1][3] += size
        if stack[-1][3] > cap:  # a part's text is within the whole's
            return int(stack[-1][3])
    assert size is not None
    return size


_END = object()


def _checked_text(value: object, what: str) -> None:
    budget = current()
    budget.build(text_size(value, budget.value_limit), what)


def take(iterable: Iterable[Any], what: str) -> list[Any]:
    """An iterable as a list, refused once it passes the size of one value."""
    budget = current()
    most = budget.value_limit // OBJECT_BYTES
    items = list(islice(iterable, most + 1))
    if len(items) > most:
        raise TemplateLimitError(f"{what} has more than {most:,} items")
    return items


_CONTAINERS = (list, tuple, dict, Namespace)


def comparable(value: Any) -> Any:
    """`value`, once it is known small enough unfolded to compare or hash: Python compares
    and hashes nested containers item by item, without noticing shared ones."""
    if isinstance(value, _CONTAINERS):
        budget = current()
        size = text_size(value, budget.value_limit)
        if size > budget.value_limit:
            raise TemplateLimitError("it compares a value that unfolds to more than "
                                     f"{budget.value_limit:,} bytes")
    return value


def _int_check(bits: int) -> None:
    if bits > INT_BITS:
        raise TemplateLimitError(f"it computes a number of {bits:,} bits")


# --- operators ---------------------------------------------------------------------------

_SEQUENCES = (str, bytes, list, tuple)
_PRINTF_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d*)(?:\.(\*|\d*))?")


def _check_repeat(left: object, right: object) -> None:
    if isinstance(left, int) and isinstance(right, int):
        _int_check(left.bit_length() + right.bit_length())
        return
    seq, times = (left, right) if isinstance(left, _SEQUENCES) else (right, left)
    if isinstance(seq, _SEQUENCES) and isinstance(times, int) and times > 0:
        current().build(nbytes(seq) * times, "a repeated sequence")


def _check_power(base: object, exponent: object) -> None:
    if (isinstance(base, int) and isinstance(exponent, int) and exponent > 0
            and abs(base) > 1):
        _int_check(base.bit_length() * exponent)


def printf_size(fmt: str | bytes, values: object) -> int:
    """`fmt % values` at most: each spec writes its width and precision, or a value."""
    budget = current()
    specs = _PRINTF_SPEC.findall(fmt if isinstance(fmt, str) else fmt.decode("latin-1"))
    args = list(values.values()) if isinstance(values, dict) else (
        list(values) if isinstance(values, tuple) else [values])
    widest = max((text_size(a, budget.value_limit) for a in args), default=0)
    numbers = 0
    for width, precision in specs:
        for n in (width, precision):
            if n == "*":
                numbers += sum(abs(a) for a in args if isinstance(a, int))
            elif n:
                numbers += int(n)
    return nbytes(fmt) + numbers + len(specs) * widest


def _check_printf(fmt: object, values: object) -> None:
    if isinstance(fmt, (str, bytes)):
        current().build(printf_size(fmt, values), "a %-formatted string")


# "+" is checked after the fact: its result is at most the sum of two values that exist
# (Markup escapes the other side, five times at most).
_BINOP_CHECKS: dict[str, Callable[[Any, Any], None]] = {
    "*": _check_repeat, "**": _check_power, "%": _check_printf,
}


# --- methods of str, bytes and int -------------------------------------------------------

def _padded(s: str | bytes, width: int, *_: object) -> int:
    return max(len(s), width) * (nbytes(s) // max(len(s), 1) or 1)


def _tabs(s: str | bytes, tabsize: int = 8) -> int:
    return nbytes(s) * max(tabsize, 1)


def _replaced(s: str | bytes, old: str | bytes, new: str | bytes, count: int = -1) -> int:
    hits = len(s) + 1 if not old else len(s) // len(old)
    if count >= 0:
        hits = min(hits, count)
    return nbytes(s) + hits * nbytes(new)


def _translated(s: str, table: object, *_: object) -> int:
    widest = 4
    if isinstance(table, dict):
        widest = max((nbytes(v) for v in table.values() if isinstance(v, str)), default=4)
    return len(s) * max(widest, 4)


def _joined(sep: str | bytes, items: list[Any] | str) -> int:
    return (sum(nbytes(x) for x in items) if isinstance(items, list) else nbytes(items)) \
        + max(len(items) - 1, 0) * nbytes(sep)


def _split(s: str | bytes, sep: str | bytes | None = None, maxsplit: int = -1) -> int:
    pieces = len(s) // 2 + 1 if sep is None else s.count(sep) + 1  # type: ignore[arg-type]
    if maxsplit >= 0:
        pieces = min(pieces, maxsplit + 1)
    return nbytes(s) + OBJECT_BYTES * pieces


def _lines(s: str | bytes, *_: object, **__: object) -> int:
    return nbytes(s) + OBJECT_BYTES * (len(s) + 1)


def _to_bytes(_n: int, length: int = 1, *_: object, **__: object) -> int:
    return length


_METHOD_SIZES: dict[str, Callable[..., int]] = {
    "center": _padded, "ljust": _padded, "rjust": _padded, "zfill": _padded,
    "expandtabs": _tabs, "replace": _replaced, "translate": _translated, "join": _joined,
    "split": _split, "rsplit": _split, "splitlines": _lines, "to_bytes": _to_bytes,
}


class _BoundedFormatterMixin:
    """str.format and format_map: each field is sized before it is formatted."""

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        if conversion is not None:
            _checked_text(value, "a formatted field")
        return super().convert_field(value, conversion)  # type: ignore[misc]

    def format_field(self, value: Any, format_spec: str) -> Any:
        budget = current()
        numbers = sum(int(n) for n in re.findall(r"\d+", format_spec))
        budget.build(text_size(value, budget.value_limit) + numbers, "a formatted field")
        return super().format_field(value, format_spec)  # type: ignore[misc]


class _BoundedFormatter(_BoundedFormatterMixin, SandboxedFormatter):
    pass


class _BoundedEscapeFormatter(_BoundedFormatterMixin, SandboxedEscapeFormatter):
    pass


# --- filters -----------------------------------------------------------------------------

def _filter_text(value: object) -> int:
    return text_size(value, current().value_limit)


def _slow_input(value: object, name: str) -> int:
    budget = current()
    size = text_size(value, budget.value_limit)
    limit = SLOW_FILTER_INPUT + 2 * budget.input_bytes  # the messages may go through it
    if size > limit:
        raise TemplateLimitError(f"the {name} filter gets {size:,} bytes "
                                 f"(the limit is {limit:,})")
    return size


def _indent_size(s: object, width: int | str = 4, *_: object, **__: object) -> int:
    size = _filter_text(s)
    step = nbytes(width) if isinstance(width, str) else width
    return size + (size + 2) * max(step, 0)


def _wordwrap_size(s: object, width: int = 79, break_long_words: bool = True,
                   wrapstring: str | None = None, *_: object, **__: object) -> int:
    size = _slow_input(s, "wordwrap")
    # A line per character at worst, tabs expanded to 8 spaces.
    return 8 * size * (1 + nbytes(wrapstring or "\n"))


def _replace_size(s: object, old: object, new: object, count: int | None = None) -> int:
    # Sized from the text each would become, without making it (a str() may be huge).
    size = _filter_text(s)
    hits = size // len(old) if isinstance(old, str) and old else size + 1
    if count is not None and count >= 0:
        hits = min(hits, count)
    return size + _filter_text(old) + hits * _filter_text(new)


def _format_size(value: object, *args: object, **kwargs: object) -> int:
    if not isinstance(value, str):
        _checked_text(value, "the format filter's format")
        value = str(value)
    return printf_size(value, kwargs or args)


def _join_size(env: BoundedEnvironment, value: object, d: object = "",
               attribute: str | int | None = None) -> int:
    budget = current()
    sep = text_size(d, budget.value_limit)
    if isinstance(value, str):
        return nbytes(value) + max(len(value) - 1, 0) * sep
    items = value if isinstance(value, (list, tuple)) else list(value)  # type: ignore[call-overload]
    if attribute is not None:
        getter = make_attrgetter(env, attribute)
        items = [getter(x) for x in items]
    total = max(len(items), 1) * sep  # str(d) is made even for one item
    for item in items:
        total += text_size(item, budget.value_limit)
        if total > budget.value_limit:
            break
    return total


def _batch_size(value: object, linecount: int, fill_with: object = None) -> int:
    filler = linecount if fill_with is not None else 0
    return _items_bytes(value) + ITEM_BYTES * max(filler, 0)


def _slice_size(value: object, slices: int, fill_with: object = None) -> int:
    return _items_bytes(value) + OBJECT_BYTES * max(slices, 0)


def _sum_size(iterable: object, attribute: object = None, start: object = 0) -> int:
    # sum() with a list or tuple as start copies the total for every item.
    if not isinstance(start, (int, float)):
        raise TemplateLimitError("the sum filter adds numbers only")
    return 0


def _tojson_size(value: object, indent: int | str | None = None, **_: object) -> int:
    step = len(indent) if isinstance(indent, str) else indent or 0
    return text_size(value, current().value_limit, quoted=True, indent=max(step, 0))


def _items_size(value: object, *_: object, **__: object) -> int:
    return _items_bytes(value)


def _wordcount_size(s: object) -> int:
    return OBJECT_BYTES * (_filter_text(s) // 2 + 1)


# join's size needs the environment (for its attribute=): see bounded_filter.
_FILTER_SIZES: dict[str, Callable[..., int]] = {
    "center": lambda value, width=80: _padded(value, width) if isinstance(value, str) else 0,
    "indent": _indent_size, "wordwrap": _wordwrap_size, "replace": _replace_size,
    "format": _format_size, "batch": _batch_size, "slice": _slice_size,
    "sum": _sum_size, "tojson": _tojson_size, "list": _items_size, "sort": _items_size,
    "unique": _items_size, "reverse": _items_size, "groupby": _items_size,
    "dictsort": _items_size, "wordcount": _wordcount_size,
}
# Filters that read their input as a sequence: generators become lists first (sized).
_MATERIALIZE = frozenset({"join", "list", "sort", "unique", "reverse", "batch", "slice",
                          "groupby", "sum", "min", "max"})
# Filters that do not turn their input into text; every other one does (str(value)).
_NOT_TEXT = frozenset({"abs", "attr", "count", "d", "default", "first", "float", "int",
                       "items", "last", "length", "map", "max", "min", "random", "reject",
                       "rejectattr", "round", "select", "selectattr", "join"}) \
    | _FILTER_SIZES.keys()
# Filters that compare or hash their input's items (and the values they are given).
_COMPARING = frozenset({"sort", "min", "max", "groupby", "dictsort", "unique", "select",
                        "reject", "selectattr", "rejectattr"})
# Debugging and HTML helpers no chat template needs, each a Python loop over its input.
_DROPPED_FILTERS = ("pprint", "urlize")


def bounded_filter(env: BoundedEnvironment, name: str,
                   func: Callable[..., Any]) -> Callable[..., Any]:
    size = functools.partial(_join_size, env) if name == "join" else _FILTER_SIZES.get(name)
    skip = 0 if _PassArg.from_obj(func) is None else 1
    materialize = name in _MATERIALIZE
    texts = name not in _NOT_TEXT
    compares = name in _COMPARING
    what = f"the {name} filter's result"

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        budget = current()
        budget.step()
        value = args[skip] if len(args) > skip else None
        if materialize and isinstance(value, Iterator):
            value = take(value, f"the input of the {name} filter")
            args = (*args[:skip], value, *args[skip + 1:])
        if compares:
            for arg in (*args[skip:], *kwargs.values()):
                comparable(arg)
        if size is not None:
            budget.build(size(*args[skip:], **kwargs), what)
        elif texts and not isinstance(value, str):
            budget.build(text_size(value, budget.value_limit), what)
        result = func(*args, **kwargs)
        if isinstance(result, Iterator):  # map, select, batch...: sized now, not later
            result = take(result, what)
        if size is None:
            budget.build(nbytes(result), what)
        return result

    return wrapper


def bounded_test(func: Callable[..., Any]) -> Callable[..., Any]:
    """A test (`is eq`, `is in`...) compares its arguments: they are sized first."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        for arg in args:
            comparable(arg)
        return func(*args, **kwargs)

    return wrapper


def bounded_range(*args: int) -> range:
    rng = range(*args)
    if len(rng) > RANGE_ITEMS:
        raise TemplateLimitError(f"range() of {len(rng):,} numbers "
                                 f"(the limit is {RANGE_ITEMS:,})")
    return rng


def _loop_step(lineno: int) -> nodes.EnvironmentAttribute:
    """A node that compiles to a counted step (templates cannot write this node)."""
    return nodes.EnvironmentAttribute("loop_step", lineno=lineno)


# --- the environment ---------------------------------------------------------------------

class _CodeGenerator(CodeGenerator):
    """Counts a step in every loop iteration; sizes `~` concatenations, the operands of
    comparisons and the keys of dict literals."""

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        line = node.lineno
        node.body = [nodes.ExprStmt(_loop_step(line), lineno=line), *node.body]
        if node.test is not None:  # a filtered loop skips its body: count the test
            node.test = nodes.And(_loop_step(line), node.test, lineno=line)
        super().visit_For(node, frame)

    def visit_EnvironmentAttribute(self, node: nodes.EnvironmentAttribute,
                                   frame: Frame) -> None:
        if node.name == "loop_step":
            self.write("environment.loop_step()")
        else:
            super().visit_EnvironmentAttribute(node, frame)

    def visit_Compare(self, node: nodes.Compare, frame: Frame) -> None:
        self.write("(environment.comparable(")
        self.visit(node.expr, frame)
        self.write(")")
        for op in node.ops:
            self.visit(op, frame)
        self.write(")")

    def visit_Operand(self, node: nodes.Operand, frame: Frame) -> None:
        self.write(f" {operators[node.op]} environment.comparable(")
        self.visit(node.expr, frame)
        self.write(")")

    def visit_Dict(self, node: nodes.Dict, frame: Frame) -> None:
        self.write("{")
        for item in node.items:
            self.write("environment.comparable(")
            self.visit(item.key, frame)
            self.write("): ")
            self.visit(item.value, frame)
            self.write(", ")
        self.write("}")

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.join_values(context, (")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


def _finalize(value: Any) -> Any:
    """Each `{{ … }}`: text that is not a str yet is sized before str() makes it."""
    if not isinstance(value, str):
        _checked_text(value, "an output")
    return value


class BoundedEnvironment(ImmutableSandboxedEnvironment):
    code_generator_class = _CodeGenerator
    intercepted_binops = frozenset({"+", *_BINOP_CHECKS})

    def __init__(self, **options: Any) -> None:
        super().__init__(finalize=_finalize, **options)
        self.globals["range"] = bounded_range
        self.globals.pop("lipsum", None)
        self.filters = {name: bounded_filter(self, name, f) for name, f in self.filters.items()
                        if name not in _DROPPED_FILTERS}
        tests = cast(dict[str, Callable[..., Any]], self.tests)
        self.tests = {name: bounded_test(f) for name, f in tests.items()}

    def add_filter(self, name: str, func: Callable[..., Any]) -> None:
        """A filter of one's own (tojson, say), bounded like the built-in ones."""
        self.filters[name] = bounded_filter(self, name, func)

    @staticmethod
    def loop_step() -> bool:
        current().step()
        return True

    comparable = staticmethod(comparable)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "+":  # the common one, kept quick
            result = left + right
            if isinstance(result, _SEQUENCES):
                current().build(nbytes(result), "a concatenation")
            return result
        _BINOP_CHECKS[operator](left, right)
        return self.binop_table[operator](left, right)

    # Positional-only: a template may pass keywords of any name.
    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        budget = current()
        budget.step()
        owner = getattr(obj, "__self__", None)
        name = getattr(obj, "__name__", "")
        size = _METHOD_SIZES.get(name) if isinstance(owner, (str, bytes, int)) else None
        if size is None:
            if owner is not None:  # list.index, dict.get, loop.changed... compare their args
                for arg in (*args, *kwargs.values()):
                    comparable(arg)
            result = super().call(context, obj, *args, **kwargs)
            budget.build(nbytes(result), "a call's result")
            return result
        if name == "join" and args and not isinstance(args[0], (str, list)):
            args = (take(args[0], "the items to join"), *args[1:])
        public = {k: v for k, v in kwargs.items() if not k.startswith("_")}
        factor = 5 if isinstance(owner, Markup) else 1  # Markup escapes its arguments
        budget.build(factor * size(owner, *args, **public), f"{type(owner).__name__}.{name}()")
        return super().call(context, obj, *args, **kwargs)

    def getitem(self, obj: Any, argument: Any) -> Any:
        value = super().getitem(obj, argument)
        if type(argument) is slice:  # a copy
            current().build(nbytes(value), "a slice")
        return value

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        if not (isinstance(value, (MethodType, BuiltinMethodType))
                and value.__name__ in ("format", "format_map")
                and isinstance(value.__self__, str)):
            return None
        f_self: str = value.__self__
        formatter: SandboxedFormatter
        if isinstance(f_self, Markup):
            formatter = _BoundedEscapeFormatter(self, escape=f_self.escape)
        else:
            formatter = _BoundedFormatter(self)
        is_map = value.__name__ == "format_map"

        def wrapper(*args: Any, **kwargs: Any) -> str:
            if is_map:
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes exactly one argument")
                return type(f_self)(formatter.vformat(f_self, (), args[0]))
            return type(f_self)(formatter.vformat(f_self, args, kwargs))

        return functools.update_wrapper(wrapper, value)

    def concat(self, parts: Iterable[str]) -> str:
        """Joins a block's output (macros, `{% set %}` blocks): sized before joining."""
        if isinstance(parts, str):
            return parts
        parts = parts if isinstance(parts, list) else take(parts, "a block's output")
        current().build(sum(nbytes(p) for p in parts), "a block's output")
        return "".join(parts)

    def join_values(self, context: Context, values: tuple[Any, ...]) -> str:
        """`a ~ b`: sized before any non-str value becomes text."""
        budget = current()
        total = sum(text_size(v, budget.value_limit) for v in values)
        escaped = context.eval_ctx.autoescape
        budget.build(5 * total if escaped else total, "a ~ concatenation")
        if escaped:
            return markup_join(values)
        return "".join(v if isinstance(v, str) else str(v) for v in values)


def describe(exc: BaseException) -> str:
    """What went wrong, in a line for the user."""
    if isinstance(exc, TemplateLimitError):
        text = str(exc)
    elif isinstance(exc, RecursionError):
        text = "it recurses too deeply"
    elif isinstance(exc, MemoryError):
        text = "it runs out of memory"
    else:
        text = f"{type(exc).__name__}: {exc}" if type(exc).__module__ == "builtins" \
            else str(exc) or type(exc).__name__
    return text if len(text) <= 300 else text[:300] + "…"


