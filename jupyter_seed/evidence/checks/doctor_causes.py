"""What the doctor says: causes with their evidence, the fix for each kind, and where a call was made.

Shared by the notebook doctor (:mod:`.doctor`) and the cell doctor (:mod:`.cell_doctor`).
Every piece of evidence says how many pairs of runs it rests on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CLOCK_FIX = "a clock value in an output: leave it out, --ignore it, or tag the cell jupyter-seed-skip"
CLOCK_KINDS = frozenset(
    {
        f"time.{name}()"
        for name in (
            "time",
            "time_ns",
            "perf_counter",
            "perf_counter_ns",
            "monotonic",
            "monotonic_ns",
            "process_time",
            "process_time_ns",
        )
    }
    | {"datetime.now()", "datetime.utcnow()"}
)
# kind → the fix to offer; keys ending in "." match by prefix.
FIXES: dict[str, str] = {
    "numpy.random.default_rng()": "numpy.random.default_rng() without a seed ignores %seed: pass a seed, "
    "use jupyter_seed.rng(), or run `%seed --patch-default-rng`",
    "numpy.random.SeedSequence()": "pass the entropy: numpy.random.SeedSequence(seed)",
    "random.Random()": "pass a seed: random.Random(seed)",
    "os.urandom()": "OS entropy cannot be seeded: draw the bytes from a seeded generator "
    "(random.Random(seed).randbytes(n)) or tag the cell jupyter-seed-skip",
    "random.SystemRandom()": "random.SystemRandom cannot be seeded: use random.Random(seed)",
    "uuid.uuid4()": "uuid.uuid4() is OS entropy: derive ids from a seeded generator "
    "(uuid.UUID(int=random.getrandbits(128), version=4)) or tag the cell jupyter-seed-skip",
    "secrets.": "the secrets module cannot be seeded: draw what a result depends on from a seeded generator",
    "tf.random.Generator.from_non_deterministic_state()": "use tf.random.Generator.from_seed(seed)",
    **dict.fromkeys(CLOCK_KINDS, CLOCK_FIX),
    "id()": "id() is a memory address: do not print it or key results by it",
    "DataLoader workers without worker_init_fn or generator": "pass worker_init_fn=jupyter_seed."
    "worker_init_fn and generator=jupyter_seed.torch_generator() to the DataLoader",
    "tf.data shuffle without a seed": "pass seed= to Dataset.shuffle",
    "cudnn.benchmark on": "torch.backends.cudnn.benchmark = False, or `%seed N --deterministic`",
    "TF32 on": "set torch.backends.cuda.matmul.allow_tf32 and cudnn.allow_tf32 to False, "
    "or `%seed N --deterministic`",
}
HASH_FIX = (
    "run the notebook on `jupyter-seed kernelspec` (fixes PYTHONHASHSEED), or sort sets of str before output"
)
SEED_FIX = "seed the notebook: `%seed N` in its first cell, or run it on `jupyter-seed kernelspec --seed N`"
THREAD_FIX = "set OMP_NUM_THREADS=1 (or torch.set_num_threads(1)) before the computation"
OPS_FIX = "run `%seed N --deterministic` (deterministic algorithms in torch and TensorFlow)"
INTERMITTENT_FIX = (
    "a result that changes in some runs only (uninitialised memory such as np.empty, timing, "
    "thread order): find what the output depends on, or tag the cell jupyter-seed-skip"
)
NOT_FOUND_FIX = "find what the output depends on, or tag the cell jupyter-seed-skip"
_UNSEEDED = "make it deterministic or leave it out of the outputs"


@dataclass(frozen=True)
class Cause:
    """One reason a cell differs, with the evidence from this doctor's runs."""

    kind: str
    evidence: str
    fix: str
    confirmed: bool
    """Repeated pairs of runs showed it, or the probes located the responsible call (else: observed)."""
    status: str | None = None
    """How the cause reads when it is no observation (``"not found"``); None: confirmed or observed."""

    @property
    def label(self) -> str:
        return self.status or ("confirmed" if self.confirmed else "observed")

    def __str__(self) -> str:
        return f"[{self.label}] {self.kind}: {self.evidence}; fix: {self.fix}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "evidence": self.evidence,
            "fix": self.fix,
            "confirmed": self.confirmed,
            "status": self.label,
        }


def fix_for(kind: str) -> str:
    for key, fix in FIXES.items():
        if kind == key or (key.endswith(".") and kind.startswith(key)):
            return fix
    return _UNSEEDED


def pairs_text(differed: int, pairs: int) -> str:
    return f"differed in {differed} of {pairs} pair{'s' if pairs != 1 else ''}"


def where(event: dict[str, Any], cell: int | None = None) -> str:
    """``cell 3 line 2``, or ``make_ids() in utils.py line 5, reached from cell 3 line 2``."""
    cell_part = "" if cell is None else f"cell {cell}"
    if event.get("line"):
        cell_part = f"{cell_part} line {event['line']}".strip()
    if not event.get("module"):
        return cell_part or "an unknown line"
    module_file = event.get("module_file") or event["module"]
    module = f"{event.get('function')}() in {module_file} line {event.get('module_line')}"
    return f"{module}, reached from {cell_part}" if cell_part else module


def intermittent(differed: int, pairs: int) -> Cause:
    return Cause(
        "intermittent",
        f"{pairs_text(differed, pairs)}; cause not found",
        INTERMITTENT_FIX,
        False,
        "not found",
    )


def not_found(differed: int, pairs: int, tried: list[str], clocks: list[str]) -> Cause:
    evidence = f"{pairs_text(differed, pairs)} and no experiment removed the difference"
    if tried:
        evidence += f" (tried: {', '.join(tried)})"
    if clocks:
        evidence += f"; it reads a clock ({', '.join(clocks[:3])}), which no experiment can hold still"
    return Cause("cause not found", evidence, CLOCK_FIX if clocks else NOT_FOUND_FIX, False, "not found")


def clock_value_shown(event: dict[str, Any], text: str) -> bool:
    """Whether a value the clock returned at this call site appears verbatim in an output's text."""
    return any(len(str(value)) >= 6 and str(value) in text for value in event.get("values") or [])


def probes_left_behind(left: list[str], failures: list[str]) -> Cause:
    detail = ", ".join(left[:6]) + (f" (errors: {'; '.join(failures[:2])})" if failures else "")
    return Cause(
        "probes not removed",
        f"still a stand-in after the doctor: {detail}",
        "restart the kernel before trusting further results",
        False,
        "warning",
    )
