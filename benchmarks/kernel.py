"""Section 3, per-cell overhead: `pass` cells in a real kernel, then the hook timed inside that kernel."""

from __future__ import annotations

import ast
import json
import statistics
import time
from typing import Any

from .children.kernel_probe import KERNEL_CONFIGS
from .common import ROOT, Options, child_env, median, number, progress, table

BASELINE = "no extension"
# Which of our callback's per-cell modes each configuration runs.
CALLBACK_MODE = {"loaded, per-cell off": "off", "--per-cell same": "same", "--per-cell derived": "derived"}


def measure(options: Options) -> dict[str, Any]:
    from jupyter_client.manager import KernelManager

    rounds, cells = (3, 20) if options.quick else (10, 60)
    manager = KernelManager(kernel_name="python3")
    manager.ip = "127.0.0.1"
    manager.start_kernel(env=child_env(), cwd=ROOT)
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=120)

        def execute(
            code: str, *, silent: bool, cell_id: str | None = None, expressions: dict[str, str] | None = None
        ) -> dict[str, Any]:
            content = {
                "code": code,
                "silent": silent,
                "store_history": not silent,
                "user_expressions": expressions or {},
                "allow_stdin": False,
                "stop_on_error": True,
            }
            msg = client.session.msg(
                "execute_request", content, metadata={"cellId": cell_id} if cell_id else {}
            )
            client.shell_channel.send(msg)
            while True:
                reply: dict[str, Any] = client.get_shell_msg(timeout=120)
                if reply["parent_header"].get("msg_id") == msg["header"]["msg_id"]:
                    break
            if reply["content"]["status"] != "ok":
                raise RuntimeError(f"kernel error for {code!r}: {reply['content']}")
            return reply

        def drain() -> None:
            # get_msgs() can block here (poll(0) is treated as "no timeout"); ask msg_ready() instead.
            while client.iopub_channel.msg_ready():
                client.get_iopub_msg(timeout=5)

        progress("kernel: importing the frameworks in the kernel")
        execute("from benchmarks.children import kernel_probe\nkernel_probe.import_frameworks()", silent=True)
        execute("%load_ext jupyter_seed", silent=True)
        per_cell: dict[str, list[float]] = {name: [] for name in KERNEL_CONFIGS}
        names = list(KERNEL_CONFIGS)
        warmup = 3
        total = rounds * cells
        # Interleaved cell by cell: a silent execute switches the configuration (silent executes
        # do not fire pre_run_cell), then one `pass` cell is timed. Slow drifts hit every
        # configuration alike.
        for i in range(total + warmup):
            if i % cells == 0:
                progress(f"kernel: cell {i}/{total + warmup}")
            order = names[i % len(names) :] + names[: i % len(names)]
            for name in order:
                execute(KERNEL_CONFIGS[name], silent=True)
                drain()
                start = time.perf_counter()
                execute("pass", silent=False, cell_id=f"cell-{i % 10}")
                elapsed = (time.perf_counter() - start) * 1e6
                if i >= warmup:
                    per_cell[name].append(elapsed)
            drain()
        progress("kernel: timing the hook and run_cell inside the kernel")
        repeats = 15 if options.quick else 41
        reply = execute(
            f"__js_result = kernel_probe.measure_in_kernel(get_ipython(), {repeats})",
            silent=True,
            expressions={"r": "__js_result"},
        )
        # The expression comes back as its repr: a Python string literal holding the JSON.
        hook = json.loads(ast.literal_eval(reply["content"]["user_expressions"]["r"]["data"]["text/plain"]))
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=False)
    return {
        "per_cell_us": {name: median(values) for name, values in per_cell.items()},
        "p25_us": {name: statistics.quantiles(values, n=4)[0] for name, values in per_cell.items()},
        "cells": {name: len(values) for name, values in per_cell.items()},
        "hook_us": hook["callback"],
        "run_cell_us": hook["run_cell"],
        "events_us": hook["events"],
        "loaded": hook["loaded"],
    }


def render(data: dict[str, Any]) -> str:
    med_cell, p25 = data["per_cell_us"], data["p25_us"]
    base = med_cell[BASELINE]
    rows = [
        [
            name,
            data["cells"][name],
            number(value),
            number(value - base) if name != BASELINE else "",
            number(p25[name]),
            number(p25[name] - p25[BASELINE]) if name != BASELINE else "",
        ]
        for name, value in med_cell.items()
    ]
    outer = table(
        "3. Per-cell overhead in a real kernel "
        f"(jupyter_client, `pass` cells, {', '.join(data['loaded'])} loaded)",
        ["configuration", "cells", "median µs per cell", "Δ median µs", "p25 µs", "Δ p25 µs"],
        rows,
        "Configurations interleaved cell by cell (a silent execute switches them; silent executes do not "
        "fire pre_run_cell); execute_request with metadata.cellId (10 distinct ids), store_history=True; "
        "wall time from send to execute_reply. The round trip is milliseconds and noisy on a shared "
        "machine, so deltas of tens of µs are within noise: 3b times the hook itself.",
    )
    inner, events, callback = data["run_cell_us"], data["events_us"], data["hook_us"]
    inside = table(
        "3b. Inside the same kernel, no ZMQ round trip (µs per cell)",
        [
            "configuration",
            "run_cell",
            "Δ run_cell",
            "pre+post_run_cell events",
            "Δ events",
            "our reseed callback",
        ],
        [
            [
                name,
                number(value),
                number(value - inner[BASELINE]) if name != BASELINE else "",
                number(events[name], 2),
                number(events[name] - events[BASELINE], 2) if name != BASELINE else "",
                number(callback[CALLBACK_MODE[name]], 2) if name in CALLBACK_MODE else "",
            ]
            for name, value in inner.items()
        ],
        "run_cell: a `pass` cell through InteractiveShell.run_cell (store_history=False: the SQLite history "
        "write is the same in every configuration and its jitter swamps the difference). events: triggering "
        "pre_run_cell + post_run_cell with every registered callback (ours and the kernel's) — Δ events is "
        "all the per-cell work the extension adds. Medians of interleaved batches.",
    )
    return outer + "\n" + inside
