"""Points 1, 2, 5 and 6: CUDA streams equal torch.manual_seed's; seeding never initialises CUDA."""

from __future__ import annotations

from gpu_support import CUDA_DRAWS, requires_cuda, run_scenario

pytestmark = requires_cuda


def test_cuda_draws_equal_manual_seed_when_seeded_before_cuda_initialises() -> None:
    result = run_scenario(
        "import json, torch, jupyter_seed\n" + CUDA_DRAWS + """
jupyter_seed.seed_everything(5)
initialised_by_seeding = torch.cuda.is_initialized()
ours = cuda_draws()
torch.manual_seed(5)
print(json.dumps({"same": ours == cuda_draws(), "initialised_by_seeding": initialised_by_seeding}))
"""
    )
    assert result == {"same": True, "initialised_by_seeding": False}


def test_cuda_draws_equal_manual_seed_after_cuda_initialised_and_for_seeds_in_a_row() -> None:
    result = run_scenario(
        "import json, torch, jupyter_seed\n" + CUDA_DRAWS + """
torch.zeros(1, device="cuda")
same = []
for seed in (0, 1, 3407, 2**32 - 1):
    jupyter_seed.seed_everything(seed)
    ours = cuda_draws()
    torch.manual_seed(seed)
    same.append(ours == cuda_draws())
print(json.dumps(same))
"""
    )
    assert result == [True, True, True, True]


def test_cuda_draws_equal_manual_seed_when_torch_is_imported_after_seeding() -> None:
    result = run_scenario(
        "import json, sys, jupyter_seed\njupyter_seed.seed_everything(11)\nassert 'torch' not in sys.modules\n"
        "import torch\n" + CUDA_DRAWS + """
ours = cuda_draws()
torch.manual_seed(11)
print(json.dumps(ours == cuda_draws()))
"""
    )
    assert result is True


def test_seeding_and_state_never_initialise_cuda_so_a_fork_can_use_it(tmp_path) -> None:
    result = run_scenario(
        f"""
import json, multiprocessing, torch, jupyter_seed
jupyter_seed.seed_everything(3, deterministic=True, workers=True)
jupyter_seed.state()
with jupyter_seed.seeded(4):
    pass
jupyter_seed.save_state({str(tmp_path / "state.npz")!r})
initialised = torch.cuda.is_initialized()

def child(queue):
    queue.put(float(torch.ones(3, device="cuda").sum()))

context = multiprocessing.get_context("fork")
queue = context.Queue()
process = context.Process(target=child, args=(queue,))
process.start()
value = queue.get(timeout=120)
process.join(120)
print(json.dumps({{"initialised": initialised, "child": value, "exitcode": process.exitcode}}))
"""
    )
    assert result == {"initialised": False, "child": 3.0, "exitcode": 0}


def test_status_warns_about_cublas_only_when_cuda_was_initialised_first() -> None:
    code = """
import json, torch, jupyter_seed
if {init_first}:
    torch.zeros(1, device="cuda")
jupyter_seed.seed_everything(1, deterministic=True)
torch.zeros(1, device="cuda")  # initialised by now in every case
warnings = [w for w in jupyter_seed.state()["warnings"] if "CUBLAS_WORKSPACE_CONFIG" in w]
print(json.dumps(len(warnings)))
"""
    late = run_scenario(code.format(init_first=True), drop=("CUBLAS_WORKSPACE_CONFIG",))
    in_time = run_scenario(code.format(init_first=False), drop=("CUBLAS_WORKSPACE_CONFIG",))
    preset = run_scenario(code.format(init_first=True), env={"CUBLAS_WORKSPACE_CONFIG": ":4096:8"})
    assert (late, in_time, preset) == (1, 0, 0)


def test_seeded_block_restores_cuda_when_initialised_before_the_block() -> None:
    result = run_scenario(
        "import json, torch, jupyter_seed\n" + CUDA_DRAWS + """
torch.zeros(1, device="cuda")
jupyter_seed.seed_everything(1)
first = cuda_draws()
with jupyter_seed.seeded(2):
    inside = cuda_draws()
after = cuda_draws()
torch.manual_seed(1)
reference = [cuda_draws(), cuda_draws()]
torch.manual_seed(2)
print(json.dumps([first == reference[0], after == reference[1], inside == cuda_draws()]))
"""
    )
    assert result == [True, True, True]


def test_seeded_block_restores_cuda_first_used_inside_the_block() -> None:
    result = run_scenario(
        "import json, torch, jupyter_seed\n" + CUDA_DRAWS + """
jupyter_seed.seed_everything(1)
with jupyter_seed.seeded(2):
    inside = cuda_draws()
after = cuda_draws()
torch.manual_seed(1)
without_block = cuda_draws()
print(json.dumps({"after": after == without_block, "inside_differs": inside != without_block}))
"""
    )
    assert result == {"after": True, "inside_differs": True}


def test_seeded_block_that_never_uses_cuda_leaves_its_queued_seed_alone() -> None:
    result = run_scenario(
        "import json, torch, jupyter_seed\n" + CUDA_DRAWS + """
jupyter_seed.seed_everything(1)
with jupyter_seed.seeded(2):
    torch.rand(3)
initialised = torch.cuda.is_initialized()
after = cuda_draws()
torch.manual_seed(1)
print(json.dumps({"initialised": initialised, "after": after == cuda_draws()}))
"""
    )
    assert result == {"initialised": False, "after": True}
