"""The root of every error jupyter-seed raises on purpose: ``except JupyterSeedError`` catches them all.

It lives at the bottom of the layers (the seeding core), so every layer can derive
from it. Each error also derives from the builtin it refines (``ValueError`` for a
bad seed, a bad option, a corrupt file), so code written against the builtins keeps
working.
"""

from __future__ import annotations


class JupyterSeedError(Exception):
    """A refusal or failure of jupyter-seed; its message is one short line."""
