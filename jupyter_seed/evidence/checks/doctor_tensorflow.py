"""TensorFlow's own evidence for the doctor: run the notebook once under TF op determinism.

Under ``tf.config.experimental.enable_op_determinism()`` TensorFlow raises for a random op
without a seed ("Random ops require a seed to be set when determinism is enabled") and for an
op with no deterministic implementation: its own diagnosis, naming the op. The doctor runs this
experiment only when the notebook imports TensorFlow (or Keras), in one kernel, and reports
what TensorFlow said for the cell where it raised. A run that raises nothing says nothing.
"""

from __future__ import annotations

import re
from typing import Any

from .doctor_causes import Cause
from .doctor_runs import DoctorRuns, Variant
from .runner import NotebookCheckError, code_cells

_IMPORTS_TF = re.compile(r"^\s*(import|from)\s+(tensorflow|keras|tf_keras)\b", re.MULTILINE)
_RAISED = re.compile(r"^cell (\d+) raised (.*)$", re.DOTALL)
_DETERMINISM = re.compile(r"determinis|require a seed", re.IGNORECASE)
SETUP = "import tensorflow as _jupyter_seed_tf\n_jupyter_seed_tf.config.experimental.enable_op_determinism()"
TF_FIX = (
    "seed TensorFlow (`%seed N`, or tf.random.set_seed / a seed= argument on the op), or replace the op "
    "TensorFlow names with a deterministic one"
)


def imports_tensorflow(notebook: Any) -> bool:
    return any(_IMPORTS_TF.search(cell.source) for _, cell in code_cells(notebook))


def tensorflow_causes(notebook: Any, differing: list[int], runs: DoctorRuns) -> dict[int, list[Cause]]:
    """What TensorFlow names under op determinism, for the differing cell (or one before it) it stopped in.

    ``runs``: the doctor's kernels; one runs, on the notebook up to the last differing cell.
    """
    found: dict[int, list[Cause]] = {}
    if not differing or not imports_tensorflow(notebook):
        return found
    try:
        runs.run([Variant("tensorflow op determinism", 0, {}, SETUP)], max(differing))
    except NotebookCheckError as error:
        matched = _RAISED.match(str(error))
        if matched is None or not _DETERMINISM.search(matched.group(2)):
            return found
        where, message = int(matched.group(1)), " ".join(matched.group(2).split())
        blamed = [index for index in differing if index >= where]
        for index in [where] if where in differing else blamed[:1]:
            place = "the cell" if index == where else f"cell {where}, which runs before it,"
            evidence = f"with TensorFlow's op determinism on, {place} raised: {message}"
            found[index] = [Cause("TensorFlow op determinism", evidence, TF_FIX, index == where)]
    return found
