"""Keep IPython's banner tip off the user's ``random`` stream while we are loaded.

ipykernel answers every ``kernel_info_request`` with ``shell.banner``, and IPython
picks the banner's tip with the global ``random.choice``. Front ends send that
request on every connect and reconnect, so without this a reconnect after
``%seed 5`` shifts the next cell's ``random`` draws. The tip is picked from a
private generator instead; the global state is never read or written, which
also holds when a kernel_info_request is answered on the control thread while
a cell runs.
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

_SHELL_MODULE = "IPython.core.interactiveshell"
_private = random.Random()


def pick_tip_privately() -> str:
    """IPython's ``pick_tip`` with a generator of its own (no tip if IPython's table changed)."""
    from IPython.core import tips

    table: Any = getattr(tips, "_tips", None)
    try:
        today = datetime.now()
        dated = table["every_year"].get((today.month, today.day))
        return str(dated if dated is not None else _private.choice(table["random"]))
    except Exception:  # noqa: BLE001 - a tip is not worth a failed kernel_info reply
        return ""


class BannerTipGuard:
    """Puts :func:`pick_tip_privately` where the banner looks ``pick_tip`` up while any shell has us loaded."""

    def __init__(self) -> None:
        self._original: Any = None
        self._users = 0

    def install(self) -> None:
        self._users += 1
        if self._users > 1:
            return
        module = _shell_module()
        current = getattr(module, "pick_tip", None)
        if current is not None and current is not pick_tip_privately:
            self._original = current
            module.pick_tip = pick_tip_privately

    def uninstall(self) -> None:
        if self._users == 0:
            return
        self._users -= 1
        if self._users or self._original is None:
            return
        module = _shell_module()
        if getattr(module, "pick_tip", None) is pick_tip_privately:
            module.pick_tip = self._original
        self._original = None


def _shell_module() -> Any:
    import importlib

    return importlib.import_module(_SHELL_MODULE)


guard = BannerTipGuard()
"""The process's one guard: the patched name is module-global in IPython."""
