"""Point 8: multi-worker DataLoaders with our worker seeding on a GPU machine, fork and spawn."""

from __future__ import annotations

import pytest
from gpu_support import requires_cuda, run_scenario

pytestmark = requires_cuda

SCENARIO = """
import json, torch, jupyter_seed
from worker_datasets import RandomDraws

def epochs():
    loader = torch.utils.data.DataLoader(RandomDraws(8), batch_size=None, num_workers=2,
                                         multiprocessing_context={context!r})
    # batches go to the GPU in the main process, as in training
    return [[torch.tensor(item[2:], device="cuda").tolist() + list(item[:2]) for item in loader]
            for _ in range(2)]

if __name__ == "__main__":
    jupyter_seed.seed_everything(11, workers=True)
    first = epochs()
    jupyter_seed.seed_everything(11, workers=True)
    again = epochs()
    workers_differ = all(
        sorted(item[:3] for item in epoch if item[4] == 0) != sorted(item[:3] for item in epoch if item[4] == 1)
        for epoch in first
    )
    print(json.dumps({{"repeat": first == again, "epochs_differ": first[0] != first[1],
                      "workers_differ": workers_differ}}))
"""


@pytest.mark.parametrize("context", ["fork", "spawn"])
def test_workers_distinct_epochs_distinct_runs_repeat(context: str) -> None:
    result = run_scenario(SCENARIO.format(context=context))
    assert result == {"repeat": True, "epochs_differ": True, "workers_differ": True}
