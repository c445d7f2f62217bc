"""How every result of a sweep or comparison shows itself: text, IPython's pretty printer, HTML.

Each result names its two renderers (in :mod:`jupyter_seed.views`, imported only when
shown); everything else about showing it is here, once.
"""

from __future__ import annotations

from typing import Any


class Rendered:
    """``repr()``, ``str()``, ``_repr_pretty_`` and ``_repr_html_`` through :meth:`_brief`, :meth:`_text`
    and :meth:`_html`.

    ``__repr__`` lives here, beside ``_repr_pretty_``, on purpose: IPython's pretty printer
    takes the first class in the MRO that defines either, so a ``__repr__`` on the
    subclass would hide the summary behind the one-line repr.
    """

    def _brief(self) -> str:
        raise NotImplementedError

    def _text(self) -> str:
        raise NotImplementedError

    def _html(self) -> str:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self._brief()}>"

    def __str__(self) -> str:
        return self._text()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self._text())

    def _repr_html_(self) -> str:
        return self._html()
