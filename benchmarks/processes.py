"""Section 5, processes: what process seeding costs a child's start-up and a pool's tiny tasks.

**Start-up.** The package ships a one-line start-up hook, ``jupyter_seed_processes.pth``
(``jupyter_seed/seeding/process_start.pth``, installed into site-packages by the wheel's
``force-include``), that ``site`` runs in every interpreter of the environment; without the
seed variables it must cost nothing measurable (goal: ≤ 1 ms). "Not installed" is measured
honestly, not by deleting the file from the user's environment: two throw-away environments
are made in a temporary folder, each a ``pyvenv.cfg`` and an interpreter link like the running
venv, and a site-packages folder of links to every entry of the real one; one of them leaves
out our ``.pth``. Both start through the same ``site`` work over the same packages, so the
difference of their medians (interleaved ``python -c pass`` starts, seed variables absent) is
the hook's. ``site.addpackage`` on the real file, timed in this process, gives the same figure
without the noise of whole starts.

**Tasks.** ``Pool.map`` of 10,000 tiny tasks (one ``random.random()``), fork and spawn, with
seeding off (``processes=False``: the original ``Pool.map``), on (``seed_everything(N)``:
every task seeded from ``task_seed(0, i)``) and by hand (each task seeds ``random`` and
``numpy.random`` itself: what a user who seeds per task pays, the floor). Run in a child
(``benchmarks/children/pool_child.py``), which also checks the seeded draws.
"""

from __future__ import annotations

import math
import os
import shutil
import site
import subprocess
import sys
import sysconfig
import tempfile
import time
from typing import Any

from jupyter_seed.seeding.process_start import DETERMINISTIC_VARIABLE, SEED_VARIABLE

from .common import Options, median, number, progress, ratio, run_child, table

HOOK_FILE = "jupyter_seed_processes.pth"
STARTS = ("hook absent", "hook present", "as installed (this venv)")
TASKS = 10_000
METHODS = ("fork", "spawn")
VARIANTS = {
    "off": "seeding off: plain Pool.map",
    "on": "seeding on (%seed N)",
    "anchor": "by hand: each task seeds",
}
GOAL_RATIO = 1.1


# ------------------------------------------------------------------ start-up
def mirror_environment(folder: str, site_dir: str, with_hook: bool) -> str:
    """A venv in ``folder`` whose site-packages links every entry of ``site_dir`` (less our hook if asked)."""
    relative_site = os.path.relpath(site_dir, sys.prefix)
    os.makedirs(os.path.join(folder, "bin"))
    shutil.copy(os.path.join(sys.prefix, "pyvenv.cfg"), os.path.join(folder, "pyvenv.cfg"))
    python = os.path.join(folder, "bin", "python")
    os.symlink(os.path.realpath(sys.executable), python)
    mirror_site = os.path.join(folder, relative_site)
    os.makedirs(mirror_site)
    for entry in sorted(os.listdir(site_dir)):
        if entry != HOOK_FILE or with_hook:
            os.symlink(os.path.join(site_dir, entry), os.path.join(mirror_site, entry))
    return python


def environment_without_variables() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in (SEED_VARIABLE, DETERMINISTIC_VARIABLE)}


def hook_ran(python: str, folder: str | None) -> bool:
    """Whether ``python``'s start-up ran our hook with the seed variable set (and it is the right venv)."""
    code = "import sys; print(sys.prefix); print(getattr(sys, '_jupyter_seed_process_start', False))"
    env = {**environment_without_variables(), SEED_VARIABLE: "1"}
    lines = subprocess.run([python, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    prefix, ran = lines.split()
    if folder is not None and os.path.realpath(prefix) != os.path.realpath(folder):
        raise AssertionError(f"{python} runs with prefix {prefix}, not its mirror {folder}")
    return ran == "True"


def start_ms(python: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([python, "-c", "pass"], env=env, check=True)
    return (time.perf_counter() - started) * 1e3


def hook_file_us(site_dir: str, calls: int) -> float:
    """``site.addpackage`` on our real ``.pth``, seed variables absent: what ``site`` does with it at a start."""
    saved = {
        name: os.environ.pop(name) for name in (SEED_VARIABLE, DETERMINISTIC_VARIABLE) if name in os.environ
    }
    try:
        per_call = []
        for _ in range(7):
            started = time.perf_counter()
            for _ in range(calls):
                site.addpackage(site_dir, HOOK_FILE, set())
            per_call.append((time.perf_counter() - started) / calls * 1e6)
        return median(per_call)
    finally:
        os.environ.update(saved)


def measure_start_up(options: Options) -> dict[str, Any]:
    site_dir = sysconfig.get_paths()["purelib"]
    if sys.prefix == sys.base_prefix or not os.path.exists(os.path.join(site_dir, HOOK_FILE)):
        return {"available": False, "reason": f"needs a venv with {HOOK_FILE} installed (pip install -e .)"}
    pairs = 30 if options.quick else 150
    progress(f"processes: {pairs} interleaved interpreter starts per variant")
    folder = tempfile.mkdtemp(prefix="jupyter-seed-start-")
    try:
        pythons = {
            STARTS[0]: mirror_environment(os.path.join(folder, "absent"), site_dir, with_hook=False),
            STARTS[1]: mirror_environment(os.path.join(folder, "present"), site_dir, with_hook=True),
            STARTS[2]: sys.executable,
        }
        ran = {
            name: hook_ran(python, None if name == STARTS[2] else os.path.dirname(os.path.dirname(python)))
            for name, python in pythons.items()
        }
        if ran != {STARTS[0]: False, STARTS[1]: True, STARTS[2]: True}:
            raise AssertionError(f"the mirrors do not differ by the hook alone: {ran}")
        env = environment_without_variables()
        times: dict[str, list[float]] = {name: [] for name in STARTS}
        for name in STARTS:
            start_ms(pythons[name], env)  # warm-up: page cache, .pyc files
        for pair in range(pairs):
            order = STARTS if pair % 2 == 0 else STARTS[::-1]
            for name in order:
                times[name].append(start_ms(pythons[name], env))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    hook_us = hook_file_us(site_dir, 200 if options.quick else 1000)
    medians = {name: median(values) for name, values in times.items()}
    return {
        "available": True,
        "n": pairs,
        "median_ms": medians,
        "delta_ms": medians[STARTS[1]] - medians[STARTS[0]],
        "hook_file_us": hook_us,
    }


# --------------------------------------------------------------------- tasks
def measure_tasks(options: Options) -> dict[str, Any]:
    rounds = 5 if options.quick else 15
    workers = max(1, min(2, os.cpu_count() or 1))
    out: dict[str, Any] = {"tasks": TASKS, "workers": workers, "rounds": rounds, "methods": {}}
    for method in METHODS:
        progress(f"processes: Pool.map of {TASKS:,} tiny tasks, {method}, {rounds} rounds x 3 variants")
        data, _, _ = run_child("pool_child.py", method, str(rounds), str(TASKS), str(workers))
        out["methods"][method] = {
            "us_per_task": {variant: median(values) for variant, values in data["times_us"].items()},
            "pieces_us": data["pieces_us"],
        }
    return out


def measure(options: Options) -> dict[str, Any]:
    return {"start_up": measure_start_up(options), "tasks": measure_tasks(options)}


# -------------------------------------------------------------------- render
def task_ratios(data: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Per start method: seeded vs plain, by hand vs plain, seeded vs by hand."""
    ratios = {}
    for method, figures in data["tasks"]["methods"].items():
        us = figures["us_per_task"]
        ratios[method] = {
            "on_vs_off": us["on"] / us["off"] if us["off"] else math.nan,
            "anchor_vs_off": us["anchor"] / us["off"] if us["off"] else math.nan,
            "on_vs_anchor": us["on"] / us["anchor"] if us["anchor"] else math.nan,
        }
    return ratios


def render_start_up(start: dict[str, Any]) -> str:
    title = "5. Processes: interpreter start-up with our start-up hook (.pth) present vs absent"
    if not start["available"]:
        return f"\n## {title}\nunavailable: {start['reason']}"
    base = start["median_ms"][STARTS[0]]
    rows = [
        [name, start["n"], number(value, 2), f"{value - base:+.2f}"]
        for name, value in start["median_ms"].items()
    ]
    rows.append([f"site.addpackage({HOOK_FILE}) in-process", "", number(start["hook_file_us"] / 1e3, 4), ""])
    return table(
        title,
        ["`python -c pass`, seed variables absent", "n", "median ms", "Δ vs absent ms"],
        rows,
        "absent/present: two throw-away venvs whose site-packages link every entry of this one, one of them "
        f"without {HOOK_FILE} (checked: with the seed variable set, only 'present' runs the hook); starts "
        "interleaved, medians. The in-process row times what site does with our file at every start.",
    )


def render_tasks(data: dict[str, Any]) -> str:
    tasks = data["tasks"]
    ratios = task_ratios(data)
    rows: list[list[Any]] = []
    for method, figures in tasks["methods"].items():
        us = figures["us_per_task"]
        for variant, label in VARIANTS.items():
            rows.append(
                [
                    f"{method}: {label}",
                    number(us[variant], 2),
                    ratio(us[variant], us["off"]),
                    ratio(us[variant], us["anchor"]),
                ]
            )
    pieces: list[list[Any]] = []
    for method, figures in tasks["methods"].items():
        for name, value in figures["pieces_us"].items():
            pieces.append([f"{method} child: {name}", number(value, 2)])
    worst = max(ratios.values(), key=lambda r: r["on_vs_off"])
    if worst["on_vs_off"] <= GOAL_RATIO:
        verdict = f"Seeded tasks stay within {GOAL_RATIO}x plain Pool.map."
    else:
        verdict = (
            f"Not reachable for tasks this small: {GOAL_RATIO}x plain Pool.map would leave "
            f"{(GOAL_RATIO - 1) * 100:.0f}% of a plain task's cost for seeding, while seeding random and numpy "
            "by hand in each task (the floor: the generators' own reseeds) already costs "
            + ", ".join(f"{r['anchor_vs_off']:.1f}x ({m})" for m, r in ratios.items())
            + " plain; ours is "
            + ", ".join(f"{r['on_vs_anchor']:.2f}x ({m})" for m, r in ratios.items())
            + " that floor."
        )
    main = table(
        f"5b. Processes: Pool.map of {tasks['tasks']:,} tiny tasks, {tasks['workers']} workers (µs per task)",
        ["variant", "µs/task", "vs plain", "vs by hand"],
        rows,
        f"Wall time of one pool.map / tasks, median of {tasks['rounds']} interleaved rounds; pools started "
        "and warmed up before the rounds. " + verdict,
    )
    return (
        main
        + "\n"
        + table(
            "5c. One seeded task, piece by piece (µs per call, one process, no pool)",
            ["piece", "median µs"],
            pieces,
            "The whole seeded task = the wrapper's checks + the task seed + the seeder's reseed of every live "
            "source (random, numpy) + the call; PYTHONHASHSEED is fixed per worker, not rewritten per task.",
        )
    )


def render(data: dict[str, Any]) -> str:
    return render_start_up(data["start_up"]) + "\n" + render_tasks(data)
