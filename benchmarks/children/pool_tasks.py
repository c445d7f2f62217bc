"""Tiny tasks for the processes section's pool child: importable by spawned workers.

``draw`` is the task the pools run with seeding off and on; ``draw_seeding_itself``
is the anchor: what a user who seeds each task by hand writes (Python's and
NumPy's global generators, from the task's own number).
"""

from __future__ import annotations

import random

import numpy.random as np_random  # NumPy 2 imports numpy.random lazily: make it a live source here


def draw(index: int) -> float:
    return random.random()


def draw_seeding_itself(index: int) -> float:
    random.seed(index)
    np_random.seed(index)
    return random.random()
