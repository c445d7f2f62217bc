"""In-kernel probes for the doctor's diagnostic runs: record what the user's code actually called.

Installed by the setup cell of a diagnostic run only, never in a normal check or
session. Each probe wraps one callable that draws entropy or reads a clock
(``os.urandom``, ``uuid.uuid4``, ``secrets``, unseeded ``random.Random()``,
``np.random.default_rng()`` and ``SeedSequence()``, ``tf.random.Generator.
from_non_deterministic_state``, the ``time`` clocks, ``datetime.now``/``utcnow``,
``id``) and records each call site of the user's code: the cells and the user's own
modules (:mod:`.probe_sites`). With ``replace=True`` the calls get deterministic
stand-ins (a counter-seeded value; clocks from a fixed start, :mod:`.probe_clocks`),
which is the doctor's experiment. Calls from libraries and the kernel's machinery
(message ids, comm ids, temp names) pass through untouched and unrecorded.

The log is bounded: one line per call site when it is first seen (with the first
values it returned), again at its 2nd, 3rd, 4th, 8th, 16th … call, and its exact
count when the next cell starts and at the end, so a loop of a million clock reads
writes a few dozen lines. Every patch is undone in :meth:`Probes.uninstall`, each on
its own (one failure, or Ctrl-C, stops none of the others), and :meth:`Probes.leftovers`
compares every patched attribute with its original by identity.
"""

from __future__ import annotations

import builtins
import itertools
import json
import os
import random
import re
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ...seeding.import_hook import PostImportFinder
from .probe_clocks import CLOCKS, NOW_HELPER, NowCalls, clock_probe, now_probe
from .probe_frameworks import wrap_dataloader, wrap_numpy, wrap_numpy_memory, wrap_tensorflow
from .probe_pools import in_pool_task, wrap_joblib, wrap_standard_pools
from .probe_sites import Site, SiteFinder

LOG_DIRECTORY_VARIABLE = "JUPYTER_SEED_DOCTOR_LOG_DIR"
_DETERMINISTIC_WARNING = re.compile(r"determinis", re.IGNORECASE)
_KEPT_VALUES = 3
"""Values kept per call site: enough to see whether a clock value reaches an output."""
_MISSING = object()
_FRAMEWORKS = ("numpy", "numpy.random", "tensorflow", "torch", "joblib")
FRAMEWORK_KIND = "framework loaded"
"""Logged when TensorFlow or torch is imported: the frameworks whose ops may be nondeterministic."""
DOSE_STEP = 1_000_033
"""How far apart the stand-in seeds of two doses start: a dose is a different, fixed set of stand-ins."""


def _logged(count: int) -> bool:
    return count <= _KEPT_VALUES or count & (count - 1) == 0


class Probes:
    def __init__(self, log_path: str, *, replace: bool, dose: int = 0, one_worker: bool = False) -> None:
        self.replace = replace
        self.dose = dose
        self.one_worker = one_worker
        self.cell_id: str | None = None
        self.cell_files: dict[str, str | None] = {}  # the file a cell's code was compiled to -> its id
        self.log_path = log_path
        self.sites = SiteFinder()
        self._log = open(log_path, "a", encoding="utf-8")  # noqa: SIM115 - open for the kernel's life
        self._lock = threading.Lock()
        self._seeds = itertools.count(1_000_003 + DOSE_STEP * dose)
        self._installed: list[tuple[Any, str, Any]] = []
        """``(owner, attribute, original)``: the original as stored on the owner (``_MISSING``: inherited)."""
        self._finder = PostImportFinder(list(_FRAMEWORKS), self._on_import)
        self._ids: dict[int, int] = {}
        self._flags_seen: set[str] = set()
        self._calls: dict[tuple[Any, ...], dict[str, Any]] = {}
        self._unflushed: set[tuple[Any, ...]] = set()
        self._shell: Any = None
        self._now_calls = NowCalls()
        self._inner = threading.local()
        """Set while a recorded call runs: the entropy it draws itself is part of that call, not another."""
        self.failures: list[str] = []
        """What :meth:`uninstall` could not undo, in words."""

    # ------------------------------------------------------------ the log
    def record(self, kind: str, site: Site | None, *, value: Any = None, **details: Any) -> None:
        """Count a call at ``site``; the line is written when the site's count calls for one."""
        entry: dict[str, Any] = {"kind": kind, "cell": self.cell_id, **(site.fields() if site else {})}
        if site is not None and site.cell_file is not None:
            defined_in = self.cell_files.get(site.cell_file, self.cell_id)
            if defined_in != self.cell_id:  # a function an earlier cell defined: its line is that cell's
                entry["defined_in"] = defined_in
        entry.update(details)
        if self.one_worker and in_pool_task():
            entry["in_task"] = True
        key = tuple(sorted((name, str(item)) for name, item in entry.items()))
        with self._lock:
            call = self._calls.get(key)
            if call is None:
                call = self._calls[key] = {**entry, "count": 0, "values": []}
            call["count"] += 1
            if value is not None and len(call["values"]) < _KEPT_VALUES:
                call["values"].append(value)
            if _logged(call["count"]):
                self._write(call)
                self._unflushed.discard(key)
            else:
                self._unflushed.add(key)

    def _write(self, call: dict[str, Any]) -> None:
        if not self._log.closed:
            self._log.write(json.dumps(call, default=str) + "\n")
            self._log.flush()

    def flush(self) -> None:
        """Write the exact count of every call site that changed since its last line."""
        with self._lock:
            for key in sorted(self._unflushed):
                self._write(self._calls[key])
            self._unflushed.clear()

    def events(self) -> list[dict[str, Any]]:
        return read_log(self.log_path)

    @contextmanager
    def inner_call(self, active: bool) -> Iterator[None]:
        previous = getattr(self._inner, "active", False)
        self._inner.active = previous or active
        try:
            yield
        finally:
            self._inner.active = previous

    def next_seed(self) -> int:
        with self._lock:
            return next(self._seeds)

    # ------------------------------------------------------- install/undo
    def patch(self, owner: Any, name: str, replacement: Any) -> None:
        """Replace ``owner.name``, keeping the original exactly as stored (a classmethod stays one)."""
        self._installed.append((owner, name, vars(owner).get(name, _MISSING)))
        setattr(owner, name, replacement)

    def install(self, shell: Any) -> None:
        self._shell = shell
        shell.events.register("pre_run_cell", self._pre_run_cell)
        self.patch(os, "urandom", self._entropy_bytes(os.urandom, "os.urandom()"))
        system_entropy = random._urandom  # type: ignore[attr-defined] # what SystemRandom and secrets call
        self.patch(random, "_urandom", self._entropy_bytes(system_entropy, "random.SystemRandom()"))
        self.patch(random, "Random", self.seeded_class(random.Random, "random.Random()"))
        shell.user_ns[NOW_HELPER] = now_probe(self)  # first: it reads the original time.time
        shell.ast_transformers.append(self._now_calls)
        for name, start, per_second in CLOCKS:
            self.patch(time, name, clock_probe(self, name, start, per_second))
        self.patch(builtins, "id", self._stable_id(builtins.id))
        self.patch(warnings, "showwarning", self._warnings(warnings.showwarning))
        wrap_standard_pools(self, self.one_worker)
        for name in _FRAMEWORKS:
            if name in sys.modules:  # imported before the probes: wrapped, but not an import to report
                self._on_import(name, imported_now=False)
        self._finder.install()

    def uninstall(self) -> None:
        """Undo every patch, each on its own; what failed is kept in :attr:`failures`.

        A cell may have cleared IPython's callbacks (then there is nothing to unregister),
        and Ctrl-C may land mid-way: the interrupt is raised again once everything is undone.
        """
        interrupted: BaseException | None = None
        steps: list[tuple[str, Callable[[], None]]] = [
            ("the pre_run_cell callback", self._unregister),
            ("the import hook", self._finder.uninstall),
            ("the datetime.now() rewriting", self._remove_now_calls),
        ]
        steps += [
            (_describe(owner, name), _restorer(owner, name, original))
            for owner, name, original in reversed(self._installed)
        ]
        steps.append(("the probe log", self._close))
        for what, step in steps:
            try:
                step()
            except BaseException as error:  # noqa: BLE001 - every other patch must still be undone
                self.failures.append(f"{what}: {type(error).__name__}: {error}")
                if not isinstance(error, Exception) and interrupted is None:
                    interrupted = error
        if interrupted is not None:
            raise interrupted

    def leftovers(self) -> list[str]:
        """Whatever is still not the original (compared by identity) after :meth:`uninstall`."""
        left = [
            _describe(owner, name)
            for owner, name, original in self._installed
            if vars(owner).get(name, _MISSING) is not original
        ]
        if self._finder in sys.meta_path:
            left.append("the import hook")
        if self._now_calls in getattr(self._shell, "ast_transformers", []):
            left.append("the datetime.now() rewriting")
        if NOW_HELPER in getattr(self._shell, "user_ns", {}):
            left.append(NOW_HELPER)
        events = getattr(self._shell, "events", None)
        if events is not None and self._pre_run_cell in events.callbacks.get("pre_run_cell", []):
            left.append("the pre_run_cell callback")
        return left

    def _remove_now_calls(self) -> None:
        transformers = getattr(self._shell, "ast_transformers", [])
        while self._now_calls in transformers:
            transformers.remove(self._now_calls)
        getattr(self._shell, "user_ns", {}).pop(NOW_HELPER, None)

    def _unregister(self) -> None:
        events = getattr(self._shell, "events", None)
        callbacks = events.callbacks.get("pre_run_cell", []) if events is not None else []
        while self._pre_run_cell in callbacks:  # absent when a cell cleared the callbacks
            callbacks.remove(self._pre_run_cell)

    def _close(self) -> None:
        self.flush()
        self._log.close()

    # -------------------------------------------------------------- probes
    def _pre_run_cell(self, info: Any) -> None:
        self.flush()
        self.cell_id = getattr(info, "cell_id", None)
        raw = getattr(info, "raw_cell", "") or ""
        try:
            self.cell_files[self._shell.compile.get_code_name(raw, raw, self._shell.execution_count)] = self.cell_id
        except Exception:  # noqa: BLE001, S110 - another compiler: lines are given in the running cell
            pass
        self._gpu_flags()

    def _gpu_flags(self) -> None:
        """cuDNN autotuning and TF32 matter only once CUDA runs; never initialise it to ask."""
        torch = sys.modules.get("torch")
        try:
            if torch is None or not torch.cuda.is_initialized():
                return
            flags = {
                "cudnn.benchmark on": torch.backends.cudnn.benchmark,
                "TF32 on": torch.backends.cuda.matmul.allow_tf32 or torch.backends.cudnn.allow_tf32,
            }
        except Exception:  # noqa: BLE001 - a half-imported torch: nothing to observe
            return
        for kind, on in flags.items():
            if on and kind not in self._flags_seen:
                self._flags_seen.add(kind)
                self.record(kind, None)

    def _on_import(self, name: str, imported_now: bool = True) -> None:
        module = sys.modules[name]
        wrap = {
            "numpy": wrap_numpy_memory,
            "numpy.random": wrap_numpy,
            "tensorflow": wrap_tensorflow,
            "torch": wrap_dataloader,
            "joblib": wrap_joblib,
        }[name]
        if imported_now and name in ("tensorflow", "torch"):
            self.record(FRAMEWORK_KIND, None, framework=name)
        wrap(self, module)

    def _entropy_bytes(self, original: Callable[[int], bytes], kind: str) -> Callable[[int], bytes]:
        def probe(size: int) -> bytes:
            site = None if getattr(self._inner, "active", False) else self.sites.locate(sys._getframe(1))
            if site is None:
                return original(size)
            self.record(site.layer if site.layer.startswith(("uuid.", "secrets.")) else kind, site)
            if self.replace:
                return random.Random(self.next_seed()).randbytes(size)  # type: ignore[attr-defined]
            return original(size)

        return probe

    def seeded_class(self, original: type, kind: str) -> type:
        """A subclass of ``original`` whose unseeded construction from user code is recorded (and seeded)."""
        probes = self

        class Kind(type(original)):  # type: ignore[misc]
            # Instances made before the probes (NumPy's global RandomState) still pass isinstance.
            def __instancecheck__(cls, instance: Any) -> bool:
                return isinstance(instance, original)

            def __subclasscheck__(cls, subclass: type) -> bool:
                return issubclass(subclass, original)

        class Recorded(original, metaclass=Kind):  # type: ignore[misc, valid-type]
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                given = kwargs.get("entropy", kwargs.get("x", kwargs.get("seed")))
                unseeded = (not args or args[0] is None) and given is None
                site = probes.sites.locate(sys._getframe(1)) if unseeded and type(self) is Recorded else None
                if site is not None:
                    probes.record(kind, site)
                    if probes.replace:
                        args = (probes.next_seed(), *args[1:])
                with probes.inner_call(site is not None):
                    super().__init__(*args, **kwargs)

        Recorded.__name__ = Recorded.__qualname__ = original.__name__
        Recorded.__module__ = original.__module__
        return Recorded

    def unseeded_call(self, original: Callable[..., Any], kind: str) -> Callable[..., Any]:
        """``original`` whose calls without a seed from user code are recorded (and seeded)."""

        def probe(*args: Any, **kwargs: Any) -> Any:
            if (not args or args[0] is None) and kwargs.get("seed") is None:
                site = self.sites.locate(sys._getframe(1))
                if site is not None:
                    self.record(kind, site)
                    if self.replace:
                        return original(self.next_seed())
                    with self.inner_call(True):
                        return original(*args, **kwargs)
            return original(*args, **kwargs)

        return probe

    def _stable_id(self, original: Callable[[object], int]) -> Callable[[object], int]:
        def probe(value: object) -> int:
            site = self.sites.locate(sys._getframe(1))
            if site is None:
                return original(value)
            self.record("id()", site)
            if not self.replace:
                return original(value)
            with self._lock:
                return self._ids.setdefault(original(value), 4096 * (len(self._ids) + 1) + 4099 * self.dose)

        return probe

    def _warnings(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def probe(message: Any, category: Any, filename: str, lineno: int, *args: Any, **kwargs: Any) -> Any:
            text = " ".join(str(message).split())
            if _DETERMINISTIC_WARNING.search(text):
                self.record("nondeterministic op", None, op=text[:200])
            return original(message, category, filename, lineno, *args, **kwargs)

        return probe


def _describe(owner: Any, name: str) -> str:
    return f"{getattr(owner, '__name__', type(owner).__name__)}.{name}"


def _restorer(owner: Any, name: str, original: Any) -> Callable[[], None]:
    def restore() -> None:
        if original is _MISSING:
            if name in vars(owner):
                delattr(owner, name)
        else:
            setattr(owner, name, original)

    return restore


def read_log(path: str) -> list[dict[str, Any]]:
    """One event per call site (its last line: the highest count), in the order first seen."""
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    try:
        with open(path, encoding="utf-8") as log:
            lines = log.read().splitlines()
    except OSError:
        return []
    for line in lines:
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line torn by a kernel that was shut down mid-write
        if not isinstance(event, dict):
            continue
        key = tuple(sorted((k, str(v)) for k, v in event.items() if k not in ("count", "values")))
        known = merged.get(key)
        if known is None or event.get("count", 1) >= known.get("count", 1):
            merged[key] = event
    return list(merged.values())


def setup_code(replace: bool, dose: int = 0, one_worker: bool = False) -> str:
    """The lines a diagnostic run's setup cell adds: the probes, logging under the kernel's pid.

    ``dose``: which fixed set of stand-ins (``replace``); ``one_worker``: the user's pools run
    their tasks one at a time in the kernel (:mod:`.probe_pools`).
    """
    options = f"replace={replace!r}, dose={int(dose)}, one_worker={bool(one_worker)!r}"
    return (
        "from jupyter_seed.evidence.checks.probes import start_probes as _jupyter_seed_probes\n"
        f"_jupyter_seed_probes(get_ipython(), {options})\ndel _jupyter_seed_probes"
    )


def start_probes(shell: Any, *, replace: bool, dose: int = 0, one_worker: bool = False) -> Probes:
    directory = os.environ[LOG_DIRECTORY_VARIABLE]
    path = os.path.join(directory, f"{os.getpid()}.jsonl")
    probes = Probes(path, replace=replace, dose=dose, one_worker=one_worker)
    probes.install(shell)
    return probes
