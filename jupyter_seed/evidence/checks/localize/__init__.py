"""The localizer: where exactly two runs of the same notebook part, to a line, a value and an op.

``tracer`` (in the kernel: lines of user code, the values they touch), ``op_recorders`` with
``torch_ops`` (every torch op inside a traced line), ``tf_ops`` (every eager TensorFlow op) and
``jax_ops`` (every JAX primitive, with jit off while traced),
``trace_file`` + ``compare`` (in the parent: the first point where two
traces part, followed back from the differing cell), ``notebook_run`` (two traced kernels for
``jupyter-seed check --localize``) and ``in_kernel`` (``%%seed --check --localize``).

Covered at op level: PyTorch (every op, built-in and custom) and TensorFlow eager (every op; a
``tf.function`` call is one op, its graph is not traced op by op) and JAX (every primitive, one
equation at a time: jit is turned off while a cell is traced, so a jitted function's body runs as
Python and its lines are traced too).
"""

from .compare import Divergence

OP_LEVEL_FRAMEWORKS = ("torch", "tensorflow", "jax")
LINE_LEVEL_FRAMEWORKS = ("numpy", "torch", "tensorflow", "jax")

__all__ = ["LINE_LEVEL_FRAMEWORKS", "OP_LEVEL_FRAMEWORKS", "Divergence"]
