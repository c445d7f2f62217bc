"""Point 7: jax_key() on a GPU backend equals jax.random.key(N), with XLA's determinism flag set first."""

from __future__ import annotations

import pytest
from gpu_support import requires_cuda, run_scenario

pytestmark = requires_cuda

pytest.importorskip("jax")


def test_jax_key_on_gpu_equals_jax_random_key() -> None:
    result = run_scenario(
        """
import json, os, sys, jupyter_seed
jupyter_seed.seed_everything(7, deterministic=True)
assert "jax" not in sys.modules
flag_before_import = "--xla_gpu_deterministic_ops=true" in os.environ.get("XLA_FLAGS", "")
import jax
backend = jax.default_backend()
ours = jax.random.normal(jupyter_seed.jax_key(), (8,)).tolist()
reference = jax.random.normal(jax.random.key(7), (8,)).tolist()
source = next(s for s in jupyter_seed.state()["sources"] if s["name"] == "jax")
print(json.dumps({"backend": backend, "flag": flag_before_import, "same": ours == reference,
                  "reported": source["determinism"].get("xla_gpu_deterministic_ops")}))
"""
    )
    if result["backend"] != "gpu":
        pytest.skip(f"JAX has no GPU backend here ({result['backend']})")
    assert result == {"backend": "gpu", "flag": True, "same": True, "reported": True}
