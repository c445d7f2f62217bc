"""pytest-randomly reseeder: every test's seed also reaches our adapters.

pytest-randomly seeds ``random`` and NumPy itself before each test's setup,
call and teardown, then calls each entry point of the group
``pytest_randomly.random_seeder`` with the same seed. Registered there, this
function passes that seed on to torch, TensorFlow, Keras, polars and any
third-party source that is already imported; it imports nothing itself.
"""

from __future__ import annotations

import sys

from .messages import describe_error
from .seeder import get_seeder
from .seeds import MAX_SEED

# pytest-randomly already seeds these; seeding them again with a reduced seed
# would change the streams its users expect, and the hash seed is process state.
LEFT_TO_PYTEST_RANDOMLY = frozenset({"random", "numpy", "pythonhashseed"})


def random_seeder(seed: int) -> None:
    """Seed every imported source that pytest-randomly does not seed itself."""
    value = seed % (MAX_SEED + 1)  # pytest-randomly adds per-test offsets past 2**32
    for source in get_seeder().sources:
        if source.name in LEFT_TO_PYTEST_RANDOMLY or not source.has_global_state:
            continue
        if not source.is_loaded():
            continue
        try:
            source.seed(value)
        except Exception as error:  # noqa: BLE001 - one broken source must not fail every test
            print(f"jupyter-seed: seeding {source.name} for pytest-randomly failed: {describe_error(error)}",
                  file=sys.stderr)
