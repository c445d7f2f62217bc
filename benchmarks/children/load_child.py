"""Load-section child: a fresh NumPy-only kernel process, then one timed step.

    python benchmarks/children/load_child.py VARIANT FRAMEWORKS

VARIANT is ``baseline`` (nothing), ``ours`` (``%load_ext jupyter_seed`` + ``%seed 3407``) or
an anchor's key (its import and seed). FRAMEWORKS is the comma list of modules whose import
the result reports. One JSON line is written at exit, after the step and before teardown.
"""

from __future__ import annotations

import atexit
import json
import resource
import sys
import time
from typing import Any


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> None:
    variant, frameworks = sys.argv[1], sys.argv[2].split(",")
    # What every kernel process has loaded before a cell runs (comm, argparse...).
    import ipykernel.ipkernel  # noqa: F401
    import numpy  # noqa: F401
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    anchor = None
    if variant not in ("baseline", "ours"):
        from benchmarks.anchors import ANCHORS_BY_KEY

        anchor = ANCHORS_BY_KEY[variant]
    before = peak_rss_mib()
    sys.stderr.write("import time: @@MARK@@\n")
    sys.stderr.flush()
    start, cpu = time.perf_counter(), time.process_time()
    if variant == "ours":
        shell.run_line_magic("load_ext", "jupyter_seed")
        shell.run_line_magic("seed", "3407")  # as typed: it prints the report and the provenance line
    elif anchor is not None:
        anchor.load()(3407)
    step = (time.perf_counter() - start) * 1e3
    cpu_before_ms, cpu = cpu * 1e3, (time.process_time() - cpu) * 1e3
    result: dict[str, Any] = {
        "step_ms": step,
        "cpu_ms": cpu,
        "cpu_before_ms": cpu_before_ms,
        "rss_before": before,
        "rss": peak_rss_mib(),
        "frameworks": sorted(m for m in frameworks if m in sys.modules),
        "numpy_random": "numpy.random" in sys.modules,
    }

    def report() -> None:  # registered last, so it runs first at exit: what follows is interpreter teardown
        result["cpu_at_exit_ms"] = time.process_time() * 1e3
        stdout = sys.__stdout__  # IPython's shell may have replaced sys.stdout
        assert stdout is not None
        stdout.write("\n" + json.dumps(result) + "\n")
        stdout.flush()

    atexit.register(report)


if __name__ == "__main__":
    main()
