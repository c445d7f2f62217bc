"""Evidence that a result repeats, or why it does not.

One run harness (:mod:`.harness`) that ``%%seed --check``, ``%%seed --sweep``
and the notebook check loop over; exact output comparison (:mod:`.difference`);
seed sweeps; the pytest plugin.
"""
