"""The pure seeding core: the seeder, seed values, one adapter per random source,
the post-import hook, the ``default_rng`` patch, and generators for workers.

Nothing here imports IPython, ipykernel or ``comm`` (a test checks it), so the
core works the same in a script, a test suite, a worker process and a kernel.
"""
