"""The kernel edges: thin layers over the seeding core for an IPython kernel.

Extension load/unload, the ``%seed`` magics, the per-cell hook, the toolbar's
comm and the kernelspec installer. Each only parses, validates and prints; the
seeder does the work.
"""

COMM_TARGET = "jupyter_seed"
"""The toolbar's comm target. Registered at ``%load_ext``, so it lives here rather
than in :mod:`.protocol`, which is imported when a front end first opens a comm."""
