"""jupyter-seed benchmarks: ``python -m benchmarks`` (load, reseed, per-cell and import-hook cost).

The other measures are modules of this package too: ``python -m benchmarks.check``,
``benchmarks.check_sweep``, ``benchmarks.compare`` and ``benchmarks.gpu``.
"""
