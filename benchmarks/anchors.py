"""The seeding functions people use today, defined once for every benchmark and check that names them.

Each anchor imports its package only when :meth:`Anchor.load` is called, so importing this module
costs nothing a child program would notice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

SeedFunction = Callable[[int], object]


def _lightning() -> SeedFunction:
    import lightning

    return lightning.seed_everything  # type: ignore[no-any-return]


def _accelerate() -> SeedFunction:
    from accelerate.utils import set_seed

    return set_seed  # type: ignore[no-any-return]


def _monai() -> SeedFunction:
    from monai.utils import set_determinism

    def seed_monai(seed: int) -> None:
        set_determinism(seed=seed)

    return seed_monai


def _keras() -> SeedFunction:
    import keras

    return keras.utils.set_random_seed  # type: ignore[no-any-return]


class Anchor(NamedTuple):
    """One seeding function, how the tables name it, and which streams it seeds."""

    key: str  # what a child program takes on its command line
    name: str  # what the tables print
    module: str  # the package that must be installed
    load: Callable[[], SeedFunction]  # imports the package, returns ``seed -> None``
    seeds_torch: bool
    seeds_tensorflow: bool
    seeds_keras: bool


ANCHORS: tuple[Anchor, ...] = (
    Anchor("lightning", "lightning.seed_everything", "lightning", _lightning, True, False, False),
    Anchor("accelerate", "accelerate.utils.set_seed", "accelerate", _accelerate, True, False, False),
    Anchor("monai", "monai set_determinism(seed=)", "monai", _monai, True, False, False),
    # Keras with the TensorFlow backend seeds random, NumPy, TensorFlow and its own generators.
    Anchor("keras", "keras.utils.set_random_seed", "keras", _keras, False, True, True),
)
ANCHORS_BY_KEY = {anchor.key: anchor for anchor in ANCHORS}
