"""Per-task seeds: a stable function of the active seed and any JSON-able keys.

The pools, executors and joblib patches (:mod:`.processes`) seed the task at
position ``i`` of the ``n``-th submission since the last reseed with
``task_seed(n, i)``; a process started by ``torch.multiprocessing.spawn`` or a
launcher gets ``task_seed("rank", rank)``. :func:`task_seed` is the same
function for anyone who wants a task's seed by hand. ``derive_seed(seed, key)``
(per-cell seeds) is a different derivation and keeps its meaning.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .messages import short_text

TASK_TAG = b"jupyter-seed/task/v1"


def task_key_text(keys: tuple[Any, ...]) -> str:
    """The canonical JSON text of ``keys``: compact, keys of objects sorted, no NaN.

    Refuses (one-line ``TypeError``/``ValueError``) keys JSON cannot write exactly.
    """
    if all(type(key) is int for key in keys):  # the pools' keys: skip json, same text
        return "[" + ",".join(str(key) for key in keys) + "]"
    import json  # deferred: the pools' hot path never needs it

    try:
        return json.dumps(
            list(keys), separators=(",", ":"), sort_keys=True, ensure_ascii=False, allow_nan=False
        )
    except TypeError:
        raise TypeError(
            f"task_seed keys must be JSON-able (str, int, float, bool, None, lists, str-keyed dicts), "
            f"got {short_text(repr(keys))}"
        ) from None
    except ValueError as error:
        raise ValueError(f"task_seed keys must be JSON-able: {short_text(str(error))}") from None


def task_seed_of(seed: int, keys: tuple[Any, ...]) -> int:
    """``sha256(b"jupyter-seed/task/v1" \\0 ascii(seed) \\0 utf8(json(keys)))``, 4 bytes big-endian."""
    from hashlib import sha256  # deferred: importing hashlib costs ~6 ms

    text = task_key_text(keys).encode("utf-8")
    return int.from_bytes(sha256(b"%s\0%d\0%s" % (TASK_TAG, seed, text)).digest()[:4], "big")


def submission_seeds(seed: int, submission: int) -> Callable[[int], int]:
    """``index -> task_seed_of(seed, (submission, index))``: the pools' per-task seeds, made cheap.

    The same bytes are hashed (``…\\0[submission,index]``); only the hash of the
    part every task of the submission shares is computed once and copied, which
    halves the cost of a seed (~0.4 µs instead of ~1 µs) on a pool's hot path.
    """
    if type(seed) is not int or type(submission) is not int:
        raise TypeError(f"seed and submission must be int, got {short_text(repr((seed, submission)))}")
    from hashlib import sha256

    shared = sha256(b"%s\0%d\0[%d," % (TASK_TAG, seed, submission))
    copy = shared.copy
    from_bytes = int.from_bytes

    def seed_of(index: int) -> int:
        if type(index) is not int:  # bool or an int subclass: JSON text differs, take the general path
            return task_seed_of(seed, (submission, index))
        state = copy()
        state.update(b"%d]" % index)
        return from_bytes(state.digest()[:4], "big")

    return seed_of


def task_seed(*keys: Any) -> int:
    """The seed of the task named by ``keys`` under the active seed, in ``[0, 2**32-1]``.

    ``task_seed(n, i)`` is what the ``i``-th task of the ``n``-th submission
    (``Pool.map``, ``executor.submit``, ``joblib.Parallel``, a ``Process`` start;
    counted from 0 since the last reseed) is seeded with, and
    ``task_seed("rank", r)`` what rank ``r`` of ``torch.multiprocessing.spawn``
    or a launcher is seeded with. The same keys under the same seed give the same
    value in every process, machine and Python version.
    """
    from .seeder import get_seeder

    seed = get_seeder().applied_seed
    if seed is None:
        raise RuntimeError("no active seed: run `%seed N` or jupyter_seed.seed_everything(N) first")
    return task_seed_of(seed, keys)
