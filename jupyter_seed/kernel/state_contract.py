"""The state contract, built in one place: ``definitions/state`` of ``protocol.schema.json``.

``jupyter_seed.state()``, the toolbar's comm and ``%seed``'s status all show this
one dict: the seeder's state, the protocol version it fits and the risks in this
kernel now. The seeding core knows neither the protocol nor the risks, so the
assembler lives here, at the kernel edge, below the public API that calls it.
"""

from __future__ import annotations

from typing import Any

from ..seeding.seeder import Seeder
from .protocol import PROTOCOL_VERSION
from .risks import risks_of


def build_state(seeder: Seeder) -> dict[str, Any]:
    """``seeder.state()`` with ``protocol`` first and its ``risks`` last: what every view of the state shows."""
    state: dict[str, Any] = {"protocol": PROTOCOL_VERSION, **seeder.state()}
    state["risks"] = risks_of(state)
    return state
