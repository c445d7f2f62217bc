"""Trust regressions with the real frameworks, each in a fresh interpreter.

rng() streams whatever was imported when; unload as an exact mirror of load;
no JAX warning on a machine where it cannot apply.
"""

from __future__ import annotations

import json

import pytest
from support import run_python

pytest.importorskip("torch")
pytest.importorskip("tensorflow")


def last_json(out: str) -> object:
    return json.loads(out.strip().splitlines()[-1])


def test_rng_hands_out_distinct_streams_when_numpy_random_is_imported_by_the_first_call() -> None:
    result = last_json(
        run_python(
            """
            import json, sys
            import jupyter_seed
            assert "numpy.random" not in sys.modules
            jupyter_seed.seed_everything(5)
            g0, g1 = jupyter_seed.rng(), jupyter_seed.rng()
            import numpy as np
            want = [np.random.Generator(np.random.PCG64(np.random.SeedSequence(5, spawn_key=(k,)))).random()
                    for k in (0, 1)]
            print(json.dumps({"got": [g0.random(), g1.random()], "want": want}))
            """
        )
    )
    assert result["got"] == result["want"] and result["got"][0] != result["got"][1]  # type: ignore[index]


def test_an_import_between_rng_calls_does_not_restart_the_count() -> None:
    result = last_json(
        run_python(
            """
            import json
            import numpy as np
            import jupyter_seed
            jupyter_seed.seed_everything(5)
            first = jupyter_seed.rng().random()
            import torch  # the import hook reseeds torch and the live sources
            second = jupyter_seed.rng().random()
            jupyter_seed.seed_everything(5)  # an explicit seed does restart it
            again = jupyter_seed.rng().random()
            stream = lambda k: np.random.Generator(np.random.PCG64(np.random.SeedSequence(5, spawn_key=(k,)))).random()
            print(json.dumps({"got": [first, second, again], "want": [stream(0), stream(1), stream(0)]}))
            """
        )
    )
    assert result["got"] == result["want"]  # type: ignore[index]


MIRROR = """
import json, os
import tensorflow as tf
import torch
from tensorflow.python.framework import config
from IPython.core.interactiveshell import InteractiveShell

def snapshot():
    return {
        "algorithms": torch.are_deterministic_algorithms_enabled(),
        "warn_only": torch.is_deterministic_algorithms_warn_only_enabled(),
        "cudnn.deterministic": torch.backends.cudnn.deterministic,
        "cudnn.benchmark": torch.backends.cudnn.benchmark,
        "tf_op_determinism": config.is_op_determinism_enabled(),
        "env": {name: os.environ.get(name) for name in
                ("CUBLAS_WORKSPACE_CONFIG", "TF_DETERMINISTIC_OPS", "XLA_FLAGS", "PYTHONHASHSEED")},
    }

torch.backends.cudnn.benchmark = True
PRE
before = snapshot()
shell = InteractiveShell.instance()
shell.run_line_magic("load_ext", "jupyter_seed")
shell.run_line_magic("seed", "5 --deterministic --quiet")
during = snapshot()
shell.run_line_magic("unload_ext", "jupyter_seed")
print(json.dumps({"before": before, "during": during, "after": snapshot()}))
"""


@pytest.mark.parametrize(
    ("pre", "env"),
    [
        ("", {"XLA_FLAGS": "--xla_cpu_use_thunk_runtime=false"}),
        ("torch.use_deterministic_algorithms(True, warn_only=True)\nconfig.enable_op_determinism()",
         {"CUBLAS_WORKSPACE_CONFIG": ":16:8", "PYTHONHASHSEED": "3"}),
    ],
    ids=["all-off-before", "some-on-before"],
)
def test_unload_puts_back_every_flag_and_variable(pre: str, env: dict[str, str]) -> None:
    clean = {name: "" for name in ("CUBLAS_WORKSPACE_CONFIG", "TF_DETERMINISTIC_OPS", "XLA_FLAGS")}
    code = MIRROR.replace("PRE", pre) if pre else MIRROR.replace("PRE\n", "")
    # An empty value stands for "unset" in the child: drop them there before anything reads them.
    unset = "import os\nfor k in [k for k, v in os.environ.items() if v == '']: del os.environ[k]\n"
    result = last_json(run_python(unset + code, env={**clean, **env}))
    assert result["during"]["algorithms"] is True and result["during"]["tf_op_determinism"] is True  # type: ignore[index]
    assert result["after"] == result["before"]  # type: ignore[index]


def test_keras_importing_jax_on_cpu_gives_no_xla_warning() -> None:
    pytest.importorskip("jax")
    result = last_json(
        run_python(
            """
            import json, sys
            import keras  # Keras 3 imports JAX whatever its backend
            import jax.numpy as jnp
            jnp.zeros(1)  # even with JAX's CPU backend started
            import jupyter_seed
            report = jupyter_seed.seed_everything(1, deterministic=True)
            print(json.dumps({"jax": "jax" in sys.modules, "warnings": jupyter_seed.state()["warnings"],
                              "report": list(report.warnings)}))
            """,
            env={"KERAS_BACKEND": "tensorflow", "XLA_FLAGS": ""},
        )
    )
    assert result["jax"] is True  # type: ignore[index]
    assert not [w for w in result["warnings"] + result["report"] if "XLA" in w or "too late" in w]  # type: ignore[index]
