"""What the doctor says: causes with their evidence, the fix for each kind, and where a call was made.

Shared by the notebook doctor (:mod:`.doctor`) and the cell doctor (:mod:`.cell_doctor`).
Every piece of evidence says how many pairs of runs it rests on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .probe_frameworks import MEMORY_KINDS

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
    """``cell 3 line 2``, ``cell 1 line 4, reached from cell 3`` (a function cell 1 defined), or
    ``make_ids() in utils.py line 5, reached from cell 3 line 2``."""
    cell_part = "" if cell is None else f"cell {cell}"
    defined = event.get("defined_index")
    if event.get("line") and defined and defined != cell:
        cell_part = f"cell {defined} line {event['line']}" + (f", reached from cell {cell}" if cell else "")
    elif event.get("line"):
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


# ------------------------------------------------ naming what the experiments and probes found
MEMORY_FIX = (
    "np.empty / torch.empty hand out memory as it is: use np.zeros / np.full (torch.zeros), or fill it"
)
ORDER_FIX = (
    "results gathered as tasks finish (as_completed, imap_unordered, parallel tf.data): sort them, "
    "or collect them in submission order (map)"
)
CHILD_FIX = (
    "seed the children: `%seed N` with process seeding on seeds every pool task; inside a task draw from "
    "the seeded global generators or pass the task's seed (RandomState(None) / default_rng() take OS entropy)"
)
NOT_CALLS = frozenset(
    {"worker pool", "framework loaded", "numpy.empty()", "numpy.empty_like()", "torch.empty()"}
)


def _calls(events: list[dict[str, Any]], index: int) -> list[dict[str, Any]]:
    """Entropy, generator and clock calls in the cell or before it, this cell first, once per place."""
    found: dict[tuple[Any, ...], dict[str, Any]] = {}
    chosen = [
        e
        for e in events
        if e.get("index") is not None and e["index"] <= index and "op" not in e and e["kind"] not in NOT_CALLS
    ]
    for event in sorted(chosen, key=lambda e: (e["index"] != index, e["kind"] in CLOCK_KINDS, -e["index"])):
        key = (
            event["kind"],
            event["index"],
            event.get("line"),
            event.get("module"),
            event.get("module_line"),
        )
        found.setdefault(key, event)
    own = [e for e in found.values() if e["index"] == index]
    return own or list(found.values())


def _memory_calls(events: list[dict[str, Any]], index: int) -> list[dict[str, Any]]:
    """``np.empty``-like calls in the cell, else in the cells before it (the array may be shown later)."""
    chosen = [e for e in events if e["kind"] in MEMORY_KINDS and (e.get("index") or 0) <= index]
    own = [e for e in chosen if e.get("index") == index]
    return own or [e for e in chosen if e.get("index") is not None]


def _by_kind(calls: list[dict[str, Any]]) -> dict[str, list[str]]:
    by_kind: dict[str, list[str]] = {}
    for event in calls:
        places = by_kind.setdefault(event["kind"], [])
        place = where(event, event["index"])
        if place not in places:
            places.append(place)
    return by_kind


def decisive_cause(
    experiment: str, index: int, events: dict[str, list[dict[str, Any]]], evidence: str
) -> list[Cause]:
    """The confirmed cause an experiment stands for, named from what its probes recorded."""
    if experiment == "entropy":
        calls = _calls(events.get("entropy", []), index)
        memory = [
            Cause(
                "uninitialised memory",
                f"{kind} called at {', '.join(places[:3])}; filled with each dose's own bytes, {evidence}",
                MEMORY_FIX,
                True,
            )
            for kind, places in _by_kind(_memory_calls(events.get("entropy", []), index)).items()
        ]
        if not calls and not memory:
            text = f"with entropy and clocks made deterministic {evidence} (the call was not located)"
            return [Cause("unseeded entropy", text, fix_for(""), True)]
        return memory + [
            Cause(
                kind,
                f"called at {', '.join(places[:3])}; made deterministic, {evidence}",
                fix_for(kind),
                True,
            )
            for kind, places in _by_kind(calls).items()
        ]
    if experiment == "workers' entropy":
        found = _calls(events.get("workers' entropy", []), index)
        calls = [e for e in found if e.get("in_task")]  # drawn by a pool's task (a child, normally)
        if found and not calls:  # only the kernel's own draws, also replaced in this experiment
            return decisive_cause("entropy", index, {"entropy": events.get("workers' entropy", [])}, evidence)
        pool_events = [
            e
            for name in ("workers' entropy", "entropy")
            for e in events.get(name, [])
            if e["kind"] == "worker pool"
        ]
        nearest = max((e.get("index") or 0 for e in pool_events if (e.get("index") or 0) <= index), default=0)
        pools = sorted({e.get("pool", "a pool") for e in pool_events if (e.get("index") or 0) == nearest})
        named = ", ".join(f"{kind} at {', '.join(places[:2])}" for kind, places in _by_kind(calls).items())
        drew = f"tasks drew {named} in the worker processes of {', '.join(pools) or 'a pool'}"
        text = f"{drew}; run in the kernel with that entropy made deterministic, {evidence}"
        return [Cause("entropy in a child process", text, CHILD_FIX, True)]
    names = {
        "seed": ("no seed", "with `%seed` at the start", SEED_FIX),
        "hash seed": ("hash randomisation", "with PYTHONHASHSEED fixed in both kernels", HASH_FIX),
        "one thread": ("math threads", "with one intra-op thread per kernel", THREAD_FIX),
        "one worker": ("completion order", "with the user's pools run by one worker", ORDER_FIX),
    }
    if experiment in names:
        kind, change, fix = names[experiment]
        return [Cause(kind, f"{change} {evidence}", fix, True)]
    ops = sorted({e["op"] for e in events.get(experiment, []) if "op" in e})
    listed = f"; ops that warned: {' | '.join(ops[:3])}" if ops else ""
    return [
        Cause(
            "nondeterministic framework ops",
            f"with deterministic algorithms {evidence}{listed}",
            OPS_FIX,
            True,
        )
    ]


def summary_causes(
    index: int,
    causes: list[Cause],
    events: dict[str, list[dict[str, Any]]],
    *,
    differed: int,
    pairs: int,
    always: bool,
    tried: list[str],
    agreed: dict[str, int],
    reordered: bool,
) -> list[Cause]:
    """Confirmed causes first; else what was observed, then "intermittent" or "cause not found"."""
    every = [e for found in events.values() for e in found]
    own = [e for e in every if e.get("index") == index]
    tally = pairs_text(differed, pairs)
    observed: list[Cause] = []
    memory = _by_kind(
        [e for e in own if e["kind"] in ("numpy.empty()", "numpy.empty_like()", "torch.empty()")]
    )
    confirmed_memory = any(c.confirmed and c.kind == "uninitialised memory" for c in causes)
    for kind, places in () if confirmed_memory else memory.items():
        text = f"{kind} called at {', '.join(places[:3])}: values no generator produced, whatever the memory held"
        observed.append(Cause("uninitialised memory", f"{text}; the cell {tally}", MEMORY_FIX, False))
    pools = sorted(
        {
            e.get("pool", "a pool")
            for e in every
            if e["kind"] == "worker pool" and (e.get("index") or 0) <= index
        }
    )
    if any(cause.confirmed for cause in causes):
        reordered = False  # a confirmed cause explains the order too (a set of str under hash randomisation)
    if pools and (reordered or agreed.get("one worker")):
        order = "the same values came out in a different order" if reordered else ""
        one = (
            f"with one worker it agreed in {agreed['one worker']} of {agreed['one worker']} pairs"
            if agreed.get("one worker")
            else ""
        )
        text = "; ".join(part for part in (order, one) if part)
        observed.append(
            Cause(
                "completion order",
                f"{', '.join(pools)}: {text} (too few pairs to confirm; the cell {tally})",
                ORDER_FIX,
                False,
            )
        )
    elif reordered:
        observed.append(
            Cause(
                "order", f"the same values came out in a different order; the cell {tally}", ORDER_FIX, False
            )
        )
    clocks = sorted({e["kind"] for e in own if e["kind"] in CLOCK_KINDS})
    if not causes or not any(c.confirmed for c in causes):
        summary = not_found(differed, pairs, tried, clocks) if always else intermittent(differed, pairs)
        if clocks and always:
            summary = Cause("timing", f"{summary.evidence}", CLOCK_FIX, False, "not found")
        found = observed + [summary]
    else:
        found = list(causes) + observed
    seen = {cause.kind for cause in found}
    for kind, places in _by_kind(_calls(own, index)).items():
        if kind not in seen and not (kind in CLOCK_KINDS and any(c.confirmed for c in causes)):
            note = f"not confirmed by experiment; the cell {tally}"
            found.append(Cause(kind, f"called at {', '.join(places[:3])} ({note})", fix_for(kind), False))
            seen.add(kind)
    ops = sorted({e["op"] for e in own if "op" in e})
    if ops and "nondeterministic framework ops" not in seen:
        found.append(
            Cause("nondeterministic framework ops", f"warned: {' | '.join(ops[:3])}", OPS_FIX, False)
        )
    return found
