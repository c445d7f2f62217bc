"""Clock probes: every clock the user's code reads, recorded, and with ``replace`` a stand-in clock.

A stand-in clock starts at a fixed value, the same in every diagnostic run, and then
follows the real clock's elapsed time: a loop that waits 3 ms on the clock ends after
3 ms, as it would without the probes (a clock that stood still, or crept 1 ns per
call, would make such a loop spin for minutes). ``datetime.now()`` and ``utcnow()``
are probed where the cells call them (:class:`NowCalls`).
"""

from __future__ import annotations

import ast
import datetime
import sys
import time
from collections.abc import Callable
from typing import Any

from .probe_sites import ProbeHost

STAND_IN_EPOCH = 1_700_000_000
"""Where the stand-in wall clocks start (seconds since 1970), in every diagnostic run."""
STAND_IN_UPTIME = 10_000
"""Where the stand-in monotonic and performance counters start (seconds)."""

CLOCKS: tuple[tuple[str, int, int], ...] = (
    ("time", STAND_IN_EPOCH, 1),
    ("time_ns", STAND_IN_EPOCH, 10**9),
    ("perf_counter", STAND_IN_UPTIME, 1),
    ("perf_counter_ns", STAND_IN_UPTIME, 10**9),
    ("monotonic", STAND_IN_UPTIME, 1),
    ("monotonic_ns", STAND_IN_UPTIME, 10**9),
    ("process_time", 0, 1),
    ("process_time_ns", 0, 10**9),
)
"""``time`` functions probed: name, stand-in start (s) and units per second."""


def stand_in_clock(original: Callable[[], Any], start_seconds: int, per_second: int) -> Callable[[], Any]:
    """A clock that reads ``start_seconds`` now and then advances as ``original`` does."""
    base = original()
    start = type(base)(start_seconds * per_second)

    def read() -> Any:
        return start + (original() - base)

    return read


def clock_probe(probes: ProbeHost, name: str, start_seconds: int, per_second: int) -> Callable[[], Any]:
    original = getattr(time, name)
    kind = f"time.{name}()"
    stand_in = stand_in_clock(original, start_seconds, per_second) if probes.replace else original

    def probe() -> Any:
        site = probes.sites.locate(sys._getframe(1))
        if site is None:
            return original()
        value = stand_in()
        probes.record(kind, site, value=value)
        return value

    probe.__name__ = probe.__qualname__ = name
    return probe


class NowCalls(ast.NodeTransformer):
    """Routes ``X.now(...)`` and ``X.utcnow(...)`` in a cell through :data:`NOW_HELPER`.

    ``datetime.datetime`` is a C type whose class methods cannot be wrapped, and replacing
    the class in the ``datetime`` module breaks libraries that subclass it as they import
    (pandas' ``NaT``). The cell's own calls are rewritten instead; the helper passes every
    call whose receiver is not a datetime class straight through.
    """

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in ("now", "utcnow"):
            call = ast.Call(
                func=ast.Name(NOW_HELPER, ast.Load()),
                args=[func.value, ast.Constant(func.attr), *node.args],
                keywords=node.keywords,
            )
            return ast.copy_location(call, node)
        return node


NOW_HELPER = "__jupyter_seed_doctor_now__"


def now_probe(probes: ProbeHost) -> Callable[..., Any]:
    """The helper :class:`NowCalls` calls: ``datetime.now()``/``utcnow()`` recorded (and with a stand-in)."""
    original = datetime.datetime
    wall = stand_in_clock(time.time, STAND_IN_EPOCH, 1) if probes.replace else time.time

    def now(owner: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        method = getattr(owner, name)
        if not (isinstance(owner, type) and issubclass(owner, original)):
            return method(*args, **kwargs)
        site = probes.sites.locate(sys._getframe(1))
        if site is None or not probes.replace:
            value = method(*args, **kwargs)
        elif name == "now":
            tz = args[0] if args else kwargs.get("tz")
            value = owner.fromtimestamp(wall(), tz)
        else:
            value = owner.fromtimestamp(wall(), datetime.timezone.utc).replace(tzinfo=None)
        if site is not None:
            probes.record(f"datetime.{name}()", site, value=str(value))
        return value

    return now
