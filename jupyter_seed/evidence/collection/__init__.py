"""Check whole notebook collections: discovery, side-by-side runs, Dask workers, cache and reports.

``jupyter-seed check PATH...`` with folders, globs or several files lands here; one file keeps
the single check's output. Each notebook is checked by
:func:`~jupyter_seed.evidence.checks.notebook.check_notebook`, unchanged: the collection only
decides where and when, and what to show afterwards.
"""
