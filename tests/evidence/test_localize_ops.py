"""The localizer names the torch op where two runs part, and whether its inputs were equal."""

from __future__ import annotations

from pathlib import Path

from localize_support import localize, write_module, write_notebook

RACY_LIBRARY = """
import os
import threading
import time

import numpy as np
import torch


@torch.library.custom_op("jupyter_seed_tests::racy_sum", mutates_args=())
def racy_sum(values: torch.Tensor) -> torch.Tensor:
    '''Sums chunks in threads and adds the partial sums in the order the threads finish (float32).'''
    chunks = values.detach().reshape(8, -1).numpy()
    finished = []
    lock = threading.Lock()

    def work(chunk):
        time.sleep(os.urandom(1)[0] / 255 * 0.004)  # scheduling jitter, as a real pool has
        partial = np.float32(chunk.sum(dtype=np.float64))
        with lock:
            finished.append(partial)

    threads = [threading.Thread(target=work, args=(chunk,)) for chunk in chunks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = np.float32(0)
    for partial in finished:
        total = np.float32(total + partial)
    return torch.tensor([total])


@racy_sum.register_fake
def _(values):
    return values.new_empty(1)


def pooled(values):
    return racy_sum(values)
"""


def test_a_custom_op_whose_output_depends_on_thread_order_is_named_with_equal_inputs(tmp_path: Path) -> None:
    library = tmp_path / "site-packages-like"
    write_module(library, "racy_ops.py", RACY_LIBRARY)
    folder = tmp_path / "project"
    folder.mkdir()
    notebook = write_notebook(
        folder / "racy.ipynb",
        f"import sys\nsys.path.insert(0, {str(library)!r})\nimport torch\nimport racy_ops",
        """
        magnitudes = torch.tensor([1.1e8, 3.3, -7.7e7, 5.5, 11.1, 3.1e7, -6.3e7, 13.7]).repeat_interleave(4)
        values = magnitudes * torch.ones(32)
        total = racy_ops.pooled(values)
        doubled = total * 2
        print(doubled.item())
        """,
    )
    # The op is racy for real: two traced runs whose threads finished in the same order agree
    # (about one pair in ten), and there is nothing to localize then. A few tries, never a lucky one.
    for _ in range(4):
        found = localize(notebook, 2)
        if found is not None:
            break
    assert found is not None
    assert (found.file, found.what, found.op, found.inputs_equal) == (
        "cell 2", "total", "jupyter_seed_tests::racy_sum", True
    ), found
    assert found.line == 3 and found.code == "total = racy_ops.pooled(values)"
    assert "nondeterministic custom op" in str(found)
    assert found.fix and "use_deterministic_algorithms" in found.fix
