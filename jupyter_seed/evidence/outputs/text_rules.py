"""What a person sees in a text output, with the parts that legitimately vary between runs masked.

Two steps, both conservative (a digit that is data is never masked):

- :func:`terminal_text` renders a stream the way JupyterLab and a terminal show it:
  ``\\r`` returns to the start of the line and ``\\b`` steps back one character, so a
  progress bar redrawn 3 or 30 times (tqdm, Keras ``fit``) shows its final state only.
- :func:`normalize_text` applies the volatile rules: ANSI colour codes, the kernel's own
  transport error log (pyzmq's ZMQStream callbacks), memory addresses, the kernel's process id in ipykernel's cell file names, the wall times our
  own views mark in HTML (:mod:`jupyter_seed.views.timing`), timestamps, durations,
  rates, progress-bar clocks, ``%timeit`` loop counts and the prefix of absl/glog log
  lines (timestamp and thread id).

The same rules serve every check: ``jupyter-seed check``, the pytest option, the doctor
and ``%%seed --check`` in the kernel.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from re import Pattern

from ...views.timing import TIMING_CLASS

_ANSI = r"\x1b\[[0-9;?]*[A-Za-z]"
_ADDRESS = r"0x[0-9a-fA-F]{4,}"
# ipykernel compiles each cell to a file named (ipykernel/compiler.py, get_tmp_directory and
# get_file_name) tempfile.gettempdir() + os.sep + "ipykernel_" + str(os.getpid()) + os.sep
# + str(murmur2_x86(cell source, 0xC70F6907)) + ".py". The hash depends on the cell's code only;
# the PID differs in every kernel, and a warning raised at notebook code prints that path.
_IPYKERNEL_CELL_FILE = r"(?<![\w.])ipykernel_\d+(?=[\\/]\d+\.py\b)"
# What our views mark as a wall time in HTML (views/timing.py): the span's text, whatever the
# figure looks like. Before the duration rule, which would leave "<duration>" in its place.
_MARKED_TIMING = rf'(<span class="{TIMING_CLASS}">)[^<]*(</span>)'
# The kernel's own transport: pyzmq's ZMQStream (zmq/eventloop/zmqstream.py) logs a callback that
# raised, and a stream that got events after closing, through tornado's "tornado.general" logger,
# which ipykernel (kernelapp.configure_tornado_logger) formats with logging.BASIC_FORMAT,
# "LEVEL:name:message", plus the traceback. Written to the kernel's stderr, that fd is captured
# into whichever cell runs then: the kernel's plumbing, intermittent, never the notebook's output.
_TRACEBACK = (
    r"Traceback \(most recent call last\):\n(?:[ \t][^\n]*\n)*[^\s][^\n]*(?:\n|$)"
    r"(?:\n?(?:During handling of the above exception|The above exception was)[^\n]*\n\n?"
    r"Traceback \(most recent call last\):\n(?:[ \t][^\n]*\n)*[^\s][^\n]*(?:\n|$))*"
)
_KERNEL_TRANSPORT_LOG = (
    r"(?m)^(?:ERROR|WARNING):tornado\.general:(?:Uncaught exception in (?:ZMQStream|zmqstream) callback"
    r"|Got events for (?:closed )?stream\b[^\n]*|Error getting events for\b[^\n]*)(?:\n|$)"
    rf"(?:{_TRACEBACK})?"
    # A callback that raised synchronously is raised on into asyncio, which logs it once more
    # (Python's last-resort handler: the message alone), naming tornado's fd dispatcher.
    r"(?:(?:ERROR:asyncio:)?Exception in callback BaseAsyncIOLoop\._handle_events\([^\n]*\n"
    r"handle: <Handle BaseAsyncIOLoop\._handle_events\([^\n]*\n"
    rf"(?:{_TRACEBACK})?)?"
)

@dataclass(frozen=True)
class VolatileRule:
    """One default rule: what it masks, in words (for ``--help``), and how."""

    name: str
    pattern: str
    replacement: str


VOLATILE_RULES: tuple[VolatileRule, ...] = (
    VolatileRule("ANSI colour codes", _ANSI, ""),
    VolatileRule(
        "the kernel's own transport errors (pyzmq's ZMQStream callback log lines and tracebacks)",
        _KERNEL_TRANSPORT_LOG,
        "",
    ),
    VolatileRule("memory addresses", _ADDRESS, "0x…"),
    VolatileRule("the kernel's process id in ipykernel's cell file names", _IPYKERNEL_CELL_FILE, "ipykernel_<pid>"),
    VolatileRule("wall times our own views mark as timings", _MARKED_TIMING, r"\1<timing>\2"),
    # absl/glog: "I0000 00:00:1795395956.798704   22741 port.cc:153] message" (TensorFlow, JAX at start-up)
    VolatileRule(
        "the prefix of absl/glog log lines (time, thread id)",
        r"(?m)^[IWEF]\d{4} \d\d:\d\d:[\d.]+\s+\d+ [\w.\-/]+:\d+\]",
        "<log line>",
    ),
    VolatileRule(
        "timestamps", r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?", "<timestamp>"
    ),
    # tqdm's clock: "[00:01<00:02, " and "[00:01<?, "
    VolatileRule(
        "tqdm's elapsed and remaining time", r"\[\d+:\d\d(:\d\d)?<(\d+:\d\d(:\d\d)?|\?)", "[<elapsed><<remaining>"
    ),
    # µ (U+00B5 MICRO SIGN) and μ (U+03BC GREEK SMALL LETTER MU, what IPython's %timeit writes)
    VolatileRule(
        "durations with a unit (3.2 ms, 41 µs, 2 s)",
        r"\b\d+(\.\d+)?\s?(ns|µs|μs|us|ms|s|sec|secs|seconds|min)\b",
        "<duration>",
    ),
    VolatileRule(
        "rates (it/s, samples/s, MB/s)",
        r"(\b\d+(\.\d+)?|\?)\s?(it|s|B|kB|KB|MB|GB|samples|steps?|batch(es)?)/s\b",
        "<rate>",
    ),
    VolatileRule("%timeit's loop counts", r"\b\d[\d,]* loops? each\b", "<n> loops each"),
    # %timeit's own timing remark, printed or not depending on how the runs went
    VolatileRule(
        "%timeit's slowest-run remark",
        r"The slowest run took [\d.]+ times longer than the fastest\.[^\n]*\n?",
        "",
    ),
)
"""Default normalisation of volatile text, applied in this order.

``--ignore REGEX`` adds rules that replace their match with ``<ignored>``.
"""
VOLATILE_PATTERNS: tuple[tuple[str, str], ...] = tuple((r.pattern, r.replacement) for r in VOLATILE_RULES)
"""The rules as ``(regex, replacement)``."""


def rule_names() -> str:
    """The default rules in words, in one line (for ``--help``)."""
    return ", ".join(rule.name for rule in VOLATILE_RULES)


def rule_listing() -> str:
    """Every default rule: its name, its regular expression and what replaces a match (``--list-rules``)."""
    lines = []
    for number, rule in enumerate(VOLATILE_RULES, start=1):
        shown = rule.replacement or "nothing (the match is removed)"
        lines.append(f"{number:2}. {rule.name}\n    regex: {rule.pattern}\n    becomes: {shown}")
    return "\n".join(lines)


Rules = list[tuple[Pattern[str], str]]

def volatile_rules(ignore: Iterable[str] = ()) -> Rules:
    """Compile the default rules plus ``ignore``; a bad regex raises ``ValueError`` naming it."""
    rules = [(re.compile(pattern), replacement) for pattern, replacement in VOLATILE_PATTERNS]
    for pattern in ignore:
        try:
            rules.append((re.compile(pattern), "<ignored>"))
        except re.error as error:
            raise ValueError(f"--ignore {pattern!r} is not a valid regular expression: {error}") from None
    return rules


_DEFAULT_RULES: Rules | None = None


def normalize_text(text: str, rules: Rules | None = None) -> str:
    global _DEFAULT_RULES
    if rules is None:
        if _DEFAULT_RULES is None:
            _DEFAULT_RULES = volatile_rules()
        rules = _DEFAULT_RULES
    for pattern, replacement in rules:
        text = pattern.sub(replacement, text)
    return text


def terminal_text(text: str) -> str:
    """``text`` as JupyterLab finally shows it: ``\r`` starts the line afresh, ``\b`` erases a character.

    Redrawn lines keep their final state; trailing padding (progress bars pad a redraw
    that got shorter) is dropped from them.
    """
    if "\r" not in text and "\b" not in text:
        return text
    text = text.replace("\r\n", "\n")
    return "\n".join(_render_line(line) for line in text.split("\n"))


def _render_line(line: str) -> str:
    if "\r" not in line and "\b" not in line:
        return line
    shown: list[str] = []
    for token in re.findall(_ANSI + r"|.", line, flags=re.DOTALL):
        if token == "\r":
            shown.clear()
        elif token == "\b":
            while shown and shown[-1].startswith("\x1b"):
                shown.pop()  # colour codes take no column
            if shown:
                shown.pop()
        else:
            shown.append(token)
    return "".join(shown).rstrip()
