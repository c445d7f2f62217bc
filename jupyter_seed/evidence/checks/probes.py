"""In-kernel probes for the doctor's diagnostic runs: record what the user's code actually called.

Installed by the setup cell of a diagnostic run only, never in a normal check or
session. Each probe wraps one callable that draws entropy or reads a clock
(``os.urandom``, ``uuid.uuid4``, ``secrets``, unseeded ``random.Random()``,
``np.random.default_rng()`` and ``SeedSequence()``, ``tf.random.Generator.
from_non_deterministic_state``, ``time.time``, ``id``) and writes one JSON line per
call made from a notebook cell: the kind, the cell id and the cell line. With
``replace=True`` the same calls get deterministic stand-ins (a counter-seeded
value), which is the doctor's experiment: if the difference goes away, these calls
were its cause. Calls from the kernel's own machinery (message ids, comm ids) are
passed through untouched and not recorded.

Also recorded, as observations: DataLoaders with workers but no ``worker_init_fn``
or ``generator``, ``tf.data`` shuffles without a seed, and warnings about
nondeterministic framework ops (torch's warn-only deterministic mode).
Frameworks are wrapped when they finish importing, so no probe imports one.
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
from collections.abc import Callable
from typing import Any

from ...seeding.import_hook import PostImportFinder

LOG_DIRECTORY_VARIABLE = "JUPYTER_SEED_DOCTOR_LOG_DIR"
_CELL_FILE = re.compile(r"ipykernel_\d+[/\\]\d+\.py$|^<ipython-input-")
# Standard-library layers between a cell and the probed call: the kind names the outermost one.
_PASSTHROUGH = frozenset({"random", "uuid", "secrets", "os", __name__})
_DETERMINISTIC_WARNING = re.compile(r"determinis", re.IGNORECASE)
_STAND_IN_EPOCH = 1_700_000_000  # the stand-in clock: the same in every diagnostic run


class Probes:
    def __init__(self, log_path: str, *, replace: bool) -> None:
        self.replace = replace
        self.cell_id: str | None = None
        self.log_path = log_path
        self._log = open(log_path, "a", encoding="utf-8")  # noqa: SIM115 - open for the kernel's life
        self._lock = threading.Lock()
        self._seeds = itertools.count(1_000_003)
        self._restore: list[tuple[Any, str, Any]] = []
        self._finder = PostImportFinder(["numpy.random", "tensorflow", "torch"], self._on_import)
        self._ids: dict[int, int] = {}
        self._flags_seen: set[str] = set()

    # ------------------------------------------------------------ plumbing
    def record(self, kind: str, line: int | None, **details: Any) -> None:
        entry = {"kind": kind, "cell": self.cell_id, "line": line, **details}
        with self._lock:
            self._log.write(json.dumps(entry) + "\n")
            self._log.flush()

    def next_seed(self) -> int:
        with self._lock:
            return next(self._seeds)

    def _patch(self, owner: Any, name: str, replacement: Any) -> None:
        self._restore.append((owner, name, getattr(owner, name)))
        setattr(owner, name, replacement)

    def caller(self) -> tuple[str, int] | None:
        """``(outermost standard-library function, cell line)`` when a cell made this call, else None."""
        frame = sys._getframe(2)
        outer = ""
        while frame is not None:
            if _CELL_FILE.search(frame.f_code.co_filename):
                return outer, frame.f_lineno
            module = str(frame.f_globals.get("__name__", ""))
            if module.partition(".")[0] not in _PASSTHROUGH:
                return None  # a library or the kernel's machinery, not the user's own call
            if module != __name__:
                outer = f"{module}.{frame.f_code.co_name}()"
            frame = frame.f_back  # type: ignore[assignment]
        return None

    # -------------------------------------------------------------- probes
    def install(self, shell: Any) -> None:
        self._shell = shell
        shell.events.register("pre_run_cell", self._pre_run_cell)
        self._patch(os, "urandom", self._entropy_bytes(os.urandom, "os.urandom()"))
        system_entropy = random._urandom  # type: ignore[attr-defined] # what SystemRandom and secrets call
        self._patch(random, "_urandom", self._entropy_bytes(system_entropy, "random.SystemRandom()"))
        self._patch(random, "Random", self._seeded_class(random.Random, "random.Random()"))
        self._patch(time, "time", self._clock(time.time, "time.time()"))
        self._patch(time, "time_ns", self._clock(time.time_ns, "time.time_ns()"))
        self._patch(builtins, "id", self._stable_id(builtins.id))
        self._patch(warnings, "showwarning", self._warnings(warnings.showwarning))
        for name in ("numpy.random", "tensorflow", "torch"):
            if name in sys.modules:
                self._on_import(name)
        self._finder.install()

    def uninstall(self) -> None:
        """Put back every wrapped callable (the doctor of ``%%seed --check`` probes one cell only)."""
        shell = getattr(self, "_shell", None)
        if shell is not None:
            shell.events.unregister("pre_run_cell", self._pre_run_cell)
            self._shell = None
        self._finder.uninstall()
        for owner, name, original in reversed(self._restore):
            setattr(owner, name, original)
        self._restore.clear()
        self._log.close()

    def events(self) -> list[dict[str, Any]]:
        with open(self.log_path, encoding="utf-8") as log:
            return [json.loads(line) for line in log if line.strip()]

    def _pre_run_cell(self, info: Any) -> None:
        self.cell_id = getattr(info, "cell_id", None)
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

    def _on_import(self, name: str) -> None:
        module = sys.modules[name]
        if name == "numpy.random":
            default_rng = self._unseeded_call(module.default_rng, "numpy.random.default_rng()")
            self._patch(module, "default_rng", default_rng)
            sequence = self._seeded_class(module.SeedSequence, "numpy.random.SeedSequence()")
            self._patch(module, "SeedSequence", sequence)
        elif name == "tensorflow":
            self._wrap_tensorflow(module)
        elif name == "torch":
            self._wrap_dataloader(module)

    def _entropy_bytes(self, original: Callable[[int], bytes], kind: str) -> Callable[[int], bytes]:
        def probe(size: int) -> bytes:
            found = self.caller()
            if found is None:
                return original(size)
            outer = found[0]
            self.record(outer if outer.startswith(("uuid.", "secrets.")) else kind, found[1])
            if self.replace:
                return random.Random(self.next_seed()).randbytes(size)  # type: ignore[attr-defined]
            return original(size)

        return probe

    def _seeded_class(self, original: type, kind: str) -> type:
        probes = self

        class Recorded(original):  # type: ignore[misc, valid-type]
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                unseeded = (not args or args[0] is None) and kwargs.get("entropy", kwargs.get("x")) is None
                found = probes.caller() if unseeded and type(self) is Recorded else None
                if found is not None:
                    probes.record(kind, found[1])
                    if probes.replace:
                        args = (probes.next_seed(), *args[1:])
                super().__init__(*args, **kwargs)

        Recorded.__name__ = Recorded.__qualname__ = original.__name__
        Recorded.__module__ = original.__module__
        return Recorded

    def _unseeded_call(self, original: Callable[..., Any], kind: str) -> Callable[..., Any]:
        def probe(*args: Any, **kwargs: Any) -> Any:
            if (not args or args[0] is None) and kwargs.get("seed") is None:
                found = self.caller()
                if found is not None:
                    self.record(kind, found[1])
                    if self.replace:
                        return original(self.next_seed())
            return original(*args, **kwargs)

        return probe

    def _clock(self, original: Callable[[], Any], kind: str) -> Callable[[], Any]:
        start = type(original())(_STAND_IN_EPOCH) * (10**9 if kind == "time.time_ns()" else 1)

        def probe() -> Any:
            frame = sys._getframe(1)
            if not _CELL_FILE.search(frame.f_code.co_filename):
                return original()
            self.record(kind, frame.f_lineno)
            return start + type(start)(self.next_seed() - 1_000_003) if self.replace else original()

        return probe

    def _stable_id(self, original: Callable[[object], int]) -> Callable[[object], int]:
        def probe(value: object) -> int:
            frame = sys._getframe(1)
            if not _CELL_FILE.search(frame.f_code.co_filename):
                return original(value)
            self.record("id()", frame.f_lineno)
            if not self.replace:
                return original(value)
            return self._ids.setdefault(original(value), 4096 * (len(self._ids) + 1))

        return probe

    def _warnings(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def probe(message: Any, category: Any, filename: str, lineno: int, *args: Any, **kwargs: Any) -> Any:
            text = " ".join(str(message).split())
            if _DETERMINISTIC_WARNING.search(text):
                self.record("nondeterministic op", None, op=text[:200])
            return original(message, category, filename, lineno, *args, **kwargs)

        return probe

    def _wrap_tensorflow(self, tf: Any) -> None:
        generator = tf.random.Generator
        original = generator.from_non_deterministic_state.__func__
        probes = self

        def from_non_deterministic_state(cls: Any, alg: Any = None) -> Any:
            found = probes.caller()
            if found is not None:
                probes.record("tf.random.Generator.from_non_deterministic_state()", found[1])
                if probes.replace:
                    return cls.from_seed(probes.next_seed(), alg)
            return original(cls, alg)

        self._patch(generator, "from_non_deterministic_state", classmethod(from_non_deterministic_state))
        dataset = tf.data.Dataset
        shuffle = dataset.shuffle

        def probe_shuffle(data: Any, buffer_size: Any, seed: Any = None, *args: Any, **kwargs: Any) -> Any:
            found = probes.caller()
            if seed is None and found is not None:
                probes.record("tf.data shuffle without a seed", found[1])
            return shuffle(data, buffer_size, seed, *args, **kwargs)

        self._patch(dataset, "shuffle", probe_shuffle)

    def _wrap_dataloader(self, torch: Any) -> None:
        loader = torch.utils.data.DataLoader
        initialise = loader.__init__
        probes = self

        def probe_init(data_loader: Any, *args: Any, **kwargs: Any) -> None:
            initialise(data_loader, *args, **kwargs)
            if (
                data_loader.num_workers > 0
                and data_loader.worker_init_fn is None
                and data_loader.generator is None
                and (found := probes.caller()) is not None
            ):
                probes.record("DataLoader workers without worker_init_fn or generator", found[1])

        self._patch(loader, "__init__", probe_init)


def setup_code(replace: bool) -> str:
    """The lines a diagnostic run's setup cell adds: the probes, logging under the kernel's pid."""
    return (
        "from jupyter_seed.evidence.checks.probes import start_probes as _jupyter_seed_probes\n"
        f"_jupyter_seed_probes(get_ipython(), replace={replace!r})\ndel _jupyter_seed_probes"
    )


def start_probes(shell: Any, *, replace: bool) -> Probes:
    directory = os.environ[LOG_DIRECTORY_VARIABLE]
    probes = Probes(os.path.join(directory, f"{os.getpid()}.jsonl"), replace=replace)
    probes.install(shell)
    return probes
