"""Import-order behaviour needs fresh interpreters: each test runs one."""

from __future__ import annotations

import json

import pytest
from support import run_python

pytest.importorskip("torch")
pytest.importorskip("tensorflow")


def test_loading_and_seeding_imports_no_framework() -> None:
    out = run_python(
        """
        import sys, json
        from IPython.core.interactiveshell import InteractiveShell
        ip = InteractiveShell.instance()
        ip.run_line_magic("load_ext", "jupyter_seed")
        ip.run_line_magic("seed", "3407 --per-cell derived --deterministic --quiet")
        ip.run_line_magic("seed", "")
        import jupyter_seed; jupyter_seed.state()
        print(json.dumps(sorted(m for m in ("torch", "tensorflow", "keras", "jax", "numpy") if m in sys.modules)))
        """
    )
    assert json.loads(out.splitlines()[-1]) == []


def test_frameworks_imported_after_seed_are_seeded_at_import() -> None:
    out = run_python(
        """
        import json, jupyter_seed
        jupyter_seed.seed_everything(3407)
        import numpy as np, torch, tensorflow as tf, keras
        got = [np.random.rand(2).tolist(), torch.rand(2).tolist(), tf.random.uniform([2]).numpy().tolist(),
               tf.random.get_global_generator().normal([2]).numpy().tolist(), keras.random.normal([2]).numpy().tolist()]
        np.random.seed(3407); torch.manual_seed(3407); tf.random.set_seed(3407)
        tf.random.set_global_generator(tf.random.Generator.from_seed(3407)); keras.utils.set_random_seed(3407)
        want = [np.random.rand(2).tolist(), torch.rand(2).tolist(), tf.random.uniform([2]).numpy().tolist(),
                tf.random.get_global_generator().normal([2]).numpy().tolist(), keras.random.normal([2]).numpy().tolist()]
        print(json.dumps({"equal": got == want, "state": jupyter_seed.state()}))
        """
    )
    result = json.loads(out.splitlines()[-1])
    assert result["equal"]
    sources = {entry["name"]: entry for entry in result["state"]["sources"]}
    for name in ("numpy", "torch", "tensorflow", "keras"):
        assert sources[name]["seeded"] and sources[name]["seeded_with"] == 3407, name


def test_deterministic_mode_reaches_frameworks_imported_later() -> None:
    out = run_python(
        """
        import json, os, jupyter_seed
        jupyter_seed.seed_everything(1, deterministic="warn")
        env = {k: os.environ.get(k) for k in ("CUBLAS_WORKSPACE_CONFIG", "TF_DETERMINISTIC_OPS", "XLA_FLAGS")}
        import torch, tensorflow as tf, jax
        from tensorflow.python.framework import config
        print(json.dumps({"env": env, "torch": torch.are_deterministic_algorithms_enabled(),
                          "warn_only": torch.is_deterministic_algorithms_warn_only_enabled(),
                          "tf": config.is_op_determinism_enabled(), "warnings": jupyter_seed.state()["warnings"],
                          "jax": [e for e in jupyter_seed.state()["sources"] if e["name"] == "jax"][0]}))
        jupyter_seed.seed_everything(1, deterministic=False)
        print(json.dumps({k: os.environ.get(k) for k in ("CUBLAS_WORKSPACE_CONFIG", "TF_DETERMINISTIC_OPS")}))
        """,
        env={"XLA_FLAGS": "", "CUBLAS_WORKSPACE_CONFIG": "", "TF_DETERMINISTIC_OPS": ""},
    )
    lines = out.splitlines()
    result = json.loads(lines[-2])
    assert result["env"]["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"
    assert result["env"]["TF_DETERMINISTIC_OPS"] == "1"
    assert "--xla_gpu_deterministic_ops=true" in result["env"]["XLA_FLAGS"]
    assert result["torch"] and result["warn_only"] and result["tf"]
    assert result["jax"]["determinism"]["xla_gpu_deterministic_ops"] is True
    assert not any("too late" in w for w in result["warnings"])
    assert json.loads(lines[-1]) == {"CUBLAS_WORKSPACE_CONFIG": "", "TF_DETERMINISTIC_OPS": ""}


def test_jax_imported_before_deterministic_mode_still_gets_the_xla_flag() -> None:
    # XLA reads XLA_FLAGS when a backend starts, not when jax is imported: setting
    # it after the import is in time, and a CPU backend makes the GPU flag moot.
    out = run_python(
        """
        import json, os, jax, jupyter_seed
        from jupyter_seed.seeding.seeder import get_seeder
        jupyter_seed.seed_everything(1)
        returned = get_seeder().set_deterministic("strict")
        flags = os.environ.get("XLA_FLAGS")
        jax.numpy.zeros(1)  # starts the CPU backend
        again = get_seeder().set_deterministic("strict")
        print(json.dumps({"returned": returned + again, "state": jupyter_seed.state()["warnings"], "flags": flags}))
        """,
        env={"XLA_FLAGS": ""},
    )
    result = json.loads(out.splitlines()[-1])
    assert "--xla_gpu_deterministic_ops=true" in result["flags"]
    assert not any("too late" in w for w in result["returned"] + result["state"])


def test_pythonhashseed_is_set_for_children_and_reported_for_the_kernel() -> None:
    code = """
        import json, os, subprocess, sys, jupyter_seed
        jupyter_seed.seed_everything(123)
        child = subprocess.run([sys.executable, "-c", "print(hash('jupyter'))"], capture_output=True, text=True)
        again = subprocess.run([sys.executable, "-c", "print(hash('jupyter'))"], capture_output=True, text=True)
        entry = [e for e in jupyter_seed.state()["sources"] if e["name"] == "pythonhashseed"][0]
        print(json.dumps({"same": child.stdout == again.stdout, "env": os.environ["PYTHONHASHSEED"],
                          "entry": entry, "warnings": jupyter_seed.state()["warnings"]}))
        """
    random_start = json.loads(run_python(code, env={"PYTHONHASHSEED": "random"}).splitlines()[-1])
    assert random_start["same"] and random_start["env"] == "123"
    assert random_start["entry"]["determinism"]["kernel_hash_seed"] == "random"
    assert any("PYTHONHASHSEED" in w for w in random_start["warnings"])

    fixed_start = json.loads(run_python(code, env={"PYTHONHASHSEED": "7"}).splitlines()[-1])
    assert fixed_start["entry"]["determinism"]["kernel_hash_seed"] == "7"
    assert not any("PYTHONHASHSEED" in w for w in fixed_start["warnings"])


def test_import_hook_leaves_module_loaders_untouched() -> None:
    out = run_python(
        """
        import json, sys, jupyter_seed
        jupyter_seed.seed_everything(1)
        import numpy, torch
        from importlib import resources
        print(json.dumps([type(numpy.__loader__).__name__, type(torch.__spec__.loader).__name__,
                          resources.files("torch").joinpath("__init__.py").is_file()]))
        """
    )
    assert json.loads(out.splitlines()[-1]) == ["SourceFileLoader", "SourceFileLoader", True]


def test_dataloader_workers_are_distinct_and_reproducible() -> None:
    out = run_python(
        """
        import json, random, numpy as np, torch
        from torch.utils.data import DataLoader, Dataset
        import jupyter_seed

        class Draws(Dataset):
            def __len__(self): return 8
            def __getitem__(self, i):
                return torch.tensor([np.random.rand(), random.random(), torch.rand(1).item()])

        def epochs():
            jupyter_seed.seed_everything(5)
            loader = DataLoader(Draws(), batch_size=2, num_workers=2, worker_init_fn=jupyter_seed.worker_init_fn,
                                generator=jupyter_seed.torch_generator(), shuffle=True)
            return [torch.cat(list(loader)).tolist() for _ in range(2)]

        first, second = epochs(), epochs()
        flat = [tuple(row) for row in first[0]]
        print(json.dumps({"repeat": first == second, "epochs_differ": first[0] != first[1],
                          "rows_distinct": len(set(flat)) == len(flat)}))
        """
    )
    assert json.loads(out.splitlines()[-1]) == {"repeat": True, "epochs_differ": True, "rows_distinct": True}


def test_numpy_random_imported_lazily_after_seed_is_seeded() -> None:
    out = run_python(
        """
        import json, sys, numpy
        from IPython.core.interactiveshell import InteractiveShell
        ip = InteractiveShell.instance()
        ip.run_line_magic("load_ext", "jupyter_seed")
        ip.run_line_magic("seed", "3407 --quiet")
        lazy = "numpy.random" not in sys.modules
        got = numpy.random.rand(3).tolist()
        numpy.random.seed(3407)
        print(json.dumps({"lazy": lazy, "equal": got == numpy.random.rand(3).tolist()}))
        """
    )
    assert json.loads(out.splitlines()[-1]) == {"lazy": True, "equal": True}
