"""The start-up hook of child interpreters: seed the process from the environment it inherited.

A seeded kernel (``processes`` on) sets :data:`SEED_VARIABLE` (and
:data:`DETERMINISTIC_VARIABLE` when deterministic mode is on); the
``jupyter_seed_processes.pth`` file installed with the package runs
:func:`start` in every interpreter that starts with the variable set, and costs
one dictionary lookup in every other. The child is seeded with
``task_seed_of(seed, ("rank", rank))``, ``rank`` from ``RANK``, else
``LOCAL_RANK``, else 0, and frameworks it imports later are seeded at import.
Jupyter kernels are left alone: a kernel is seeded by its own ``%seed``, and a
check's fresh kernels must start as unseeded as the user's would.

Whatever goes wrong, the child runs on, unseeded, after one warning line on stderr.
"""

from __future__ import annotations

import os
import sys

SEED_VARIABLE = "JUPYTER_SEED_PROCESS_SEED"
DETERMINISTIC_VARIABLE = "JUPYTER_SEED_PROCESS_DETERMINISTIC"
RANK_VARIABLES = ("RANK", "LOCAL_RANK")
KERNEL_MARKS = ("ipykernel_launcher", "ipykernel")


def start() -> None:
    """Seed this interpreter from the inherited environment; never raises."""
    try:
        seed_from_environment()
    except Exception as error:  # noqa: BLE001 - a failure to seed must never break the child
        warn(error)


def warn(error: BaseException) -> None:
    try:
        from .messages import describe_error

        text = describe_error(error)
    except Exception:  # noqa: BLE001
        text = type(error).__name__
    print(f"jupyter-seed: this process runs unseeded: {text}", file=sys.stderr)


def is_kernel() -> bool:
    argv = getattr(sys, "orig_argv", sys.argv)
    return any(os.path.basename(str(word)).split(".")[0] in KERNEL_MARKS for word in argv[:4])


def rank_from_environment() -> int:
    for name in RANK_VARIABLES:
        text = os.environ.get(name)
        if text is not None and text.strip():
            try:
                return int(text)
            except ValueError:
                raise ValueError(f"{name} must be an integer, got {text[:40]!r}") from None
    return 0


def seed_from_environment() -> None:
    text = os.environ.get(SEED_VARIABLE)
    if text is None or is_kernel():
        return
    from .modes import normalize_deterministic
    from .seeds import MAX_SEED, parse_seed_text

    try:
        seed = parse_seed_text(text)
    except ValueError:
        problem = f"{SEED_VARIABLE} must be an integer in [0, {MAX_SEED}], got {text[:40]!r}"
        raise ValueError(problem) from None
    mode = os.environ.get(DETERMINISTIC_VARIABLE)
    deterministic = None if mode is None else normalize_deterministic(mode)
    rank = rank_from_environment()
    from .seeder import get_seeder
    from .task_seed import task_seed_of

    seeder = get_seeder()
    seeder.processes = False  # the inherited variables reach this process's children as they are
    seeder.seed_everything(task_seed_of(seed, ("rank", rank)), deterministic=deterministic)
