"""Output normalisation: what legitimately varies between runs is masked, a real difference never is.

Pure logic on strings and nbformat dicts: no framework, no kernel.
"""

from __future__ import annotations

import pytest

from jupyter_seed.evidence.outputs.mimebundle import outputs_difference
from jupyter_seed.evidence.outputs.text_rules import terminal_text, volatile_rules


def stream(text: str, name: str = "stdout") -> dict[str, object]:
    return {"output_type": "stream", "name": name, "text": text}


KERAS_RUN_1 = (
    "Epoch 1/2\n\r\x1b[1m1/4\x1b[0m \x1b[32m━━━━━\x1b[0m\x1b[37m━━━━━━━━━━━━━━━\x1b[0m \x1b[1m1s\x1b[0m 390ms/step"
    " - accuracy: 0.5000 - loss: 0.6931\b\b\b\b\b\b\b\b\b\b\b\b\b\b\b\b\b\b\b\b\b\b\b\b\b\b\b\b\b\b\b\b\b"
    "\r\x1b[1m4/4\x1b[0m \x1b[32m━━━━━━━━━━━━━━━━━━━━\x1b[0m\x1b[37m\x1b[0m \x1b[1m1s\x1b[0m 12ms/step"
    " - accuracy: 0.6100 - loss: 0.6712\n"
)
KERAS_RUN_2 = (
    "Epoch 1/2\n\r\x1b[1m4/4\x1b[0m \x1b[32m━━━━━━━━━━━━━━━━━━━━\x1b[0m\x1b[37m\x1b[0m \x1b[1m0s\x1b[0m 9ms/step"
    " - accuracy: 0.6100 - loss: 0.6712\n"
)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        # %timeit writes μ (U+03BC); the loop count is picked by timing
        (
            "8.47 μs ± 62.6 ns per loop (mean ± std. dev. of 7 runs, 100,000 loops each)\n",
            "9.02 μs ± 101 ns per loop (mean ± std. dev. of 7 runs, 10,000 loops each)\n",
        ),
        ("took 3.1 µs\n", "took 4.7 µs\n"),
        (KERAS_RUN_1, KERAS_RUN_2),
        # tqdm on stderr: redrawn with \r a timing-dependent number of times
        (
            "\r  0%|          | 0/50 [00:00<?, ?it/s]\r 40%|████      | 20/50 [00:00<00:00, 199.1it/s]"
            "\r100%|██████████| 50/50 [00:00<00:00, 210.53it/s]\n",
            "\r  0%|          | 0/50 [00:00<?, ?it/s]\r100%|██████████| 50/50 [00:01<00:00, 45.02it/s]\n",
        ),
        # absl start-up line: timestamp and thread id
        (
            "I0000 00:00:1795395956.798704   22741 port.cc:153] oneDNN custom operations are on.\n",
            "I0000 00:00:1795395999.123456   23999 port.cc:153] oneDNN custom operations are on.\n",
        ),
    ],
)
def test_outputs_that_legitimately_vary_are_equal(first: str, second: str) -> None:
    assert outputs_difference([stream(first)], [stream(second)], "", volatile_rules()) is None


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (KERAS_RUN_2, KERAS_RUN_2.replace("loss: 0.6712", "loss: 0.6713")),
        ("\r 10%|█| 1/10\r100%|██████████| 10/10 [00:00<00:00, 9.1it/s] acc=0.91\n",
         "\r100%|██████████| 10/10 [00:00<00:00, 9.1it/s] acc=0.92\n"),
        ("8.47 μs ± 62.6 ns per loop -> result 12\n", "8.47 μs ± 62.6 ns per loop -> result 13\n"),
        ("I0000 00:00:1.5   1 port.cc:153] value 7\n", "I0000 00:00:1.5   1 port.cc:153] value 8\n"),
        ("\x1b[1maccuracy 0.5\x1b[0m\n", "\x1b[1maccuracy 0.6\x1b[0m\n"),
    ],
)
def test_a_real_numeric_difference_is_never_hidden(first: str, second: str) -> None:
    assert outputs_difference([stream(first)], [stream(second)], "", volatile_rules()) is not None


def test_terminal_text_applies_carriage_returns_and_backspaces() -> None:
    assert terminal_text("abc\rxy\n") == "xy\n"
    assert terminal_text("abcd\b\bZ") == "abZ"
    assert terminal_text("line\r\nnext") == "line\nnext"
    assert terminal_text("plain text") == "plain text"


def test_widget_model_ids_are_not_compared_but_the_rest_is() -> None:
    def view(model_id: str, version: int = 2) -> dict[str, object]:
        data = {"model_id": model_id, "version_major": version, "version_minor": 0}
        return {"output_type": "display_data", "data": {"application/vnd.jupyter.widget-view+json": data}}

    assert outputs_difference([view("02b5be64")], [view("f1a948af")], "", volatile_rules()) is None
    assert outputs_difference([view("02b5be64")], [view("f1a948af", 3)], "", volatile_rules()) is not None


# ------------------------------------------------ ipykernel's per-process cell file (issue 19, A2)
def _cell_file(code: str, pid: int, monkeypatch: pytest.MonkeyPatch) -> str:
    """The file name ipykernel itself gives a cell in a kernel with process id ``pid``."""
    compiler = pytest.importorskip("ipykernel.compiler")
    monkeypatch.delenv("IPYKERNEL_CELL_NAME", raising=False)
    with monkeypatch.context() as patch:
        patch.setattr(compiler.os, "getpid", lambda: pid)
        return str(compiler.get_file_name(code))


def test_the_kernels_pid_in_a_warning_path_is_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    code = "x = random.uniform(random.key(0), (1000,), dtype=jnp.float64)\nx.dtype"
    warning = "{}:1: UserWarning: Explicitly requested dtype float64 is not available\n"
    first, second = (warning.format(_cell_file(code, pid, monkeypatch)) for pid in (14007, 9))
    assert first != second and "ipykernel_14007" in first
    assert outputs_difference([stream(first, "stderr")], [stream(second, "stderr")], "") is None
    # The file name's other parts are not masked: another cell's code is another file.
    other = warning.format(_cell_file(code + "\n", 9, monkeypatch))
    assert outputs_difference([stream(first, "stderr")], [stream(other, "stderr")], "") is not None
    assert outputs_difference([stream(first, "stderr")], [stream(first.replace(":1:", ":2:"), "stderr")], "")


def test_the_pid_is_masked_in_windows_paths_and_nowhere_else() -> None:
    windows = r"C:\Users\ada\AppData\Local\Temp\ipykernel_{}\2912.py:3: FutureWarning: use observed=True"
    assert outputs_difference(
        [stream(windows.format(4242), "stderr")], [stream(windows.format(77), "stderr")], ""
    ) is None
    # A number after "ipykernel_" that is no cell file (or a process id printed as data) stays.
    for text in ("ipykernel_4242 started\n", "/tmp/ipykernel_4242/notes.txt\n", "pid 4242\n"):
        assert outputs_difference([stream(text)], [stream(text.replace("4242", "77"))], "") is not None


# ------------------------------------------------------- streams compared apart (issue 19, A3)
def test_where_a_stderr_chunk_falls_among_stdout_chunks_is_not_compared() -> None:
    """Keras fit: progress on stdout in chunks, a UserWarning on stderr between two of them."""
    warning = stream("trainer.py:86: UserWarning: The model does not have any trainable weights.\n", "stderr")
    result = {"output_type": "execute_result", "data": {"text/plain": "<History>"}, "metadata": {}}
    epochs = [stream(f"Epoch {n}/3\n\r1/1 ━━━━ 0s 15ms/step - loss: 10.3545\n") for n in (1, 2, 3)]
    first = [epochs[0], warning, epochs[1], epochs[2], result]
    second = [epochs[0], epochs[1], warning, epochs[2], {**result, "execution_count": 4}]
    third = [epochs[0], epochs[1], epochs[2], warning, result]
    assert outputs_difference(first, second, "") is None
    assert outputs_difference(first, third, "") is None
    # Each stream's own text still counts, and so does every other output, in order.
    changed = [*first[:3], stream("Epoch 3/3\n\r1/1 ━━━━ 0s 9ms/step - loss: 10.3546\n"), result]
    found = outputs_difference(first, changed, "cell 35")
    assert found is not None and found.where == "cell 35 stdout line 6"
    found = outputs_difference(first, [*epochs, result], "cell 35")
    assert found is not None and found.where == "cell 35 stderr line 1"
    other_result = {**result, "data": {"text/plain": "<Other>"}}
    found = outputs_difference(first, [*second[:-1], other_result], "cell 35")
    assert found is not None and found.where == "cell 35 output 4 text/plain line 1"  # JupyterLab's numbering


def _zmqstream_callback_log(error: Exception) -> str:
    """What pyzmq's ZMQStream really logs for a callback that raises, formatted as ipykernel does."""
    import io
    import logging
    import threading

    zmq = pytest.importorskip("zmq")
    from tornado.ioloop import IOLoop
    from zmq.eventloop.zmqstream import ZMQStream

    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    handler.setFormatter(logging.Formatter(logging.BASIC_FORMAT))  # ipykernel's configure_tornado_logger
    logger = logging.getLogger("tornado")
    logger.addHandler(handler)
    # asyncio's own report of the same exception: the kernel leaves that logger unconfigured, so
    # Python's last-resort handler writes the message alone
    last_resort = logging.StreamHandler(captured)
    asyncio_logger = logging.getLogger("asyncio")
    asyncio_logger.addHandler(last_resort)
    # These loggers as a fresh kernel has them: an earlier test in this process may have disabled
    # them (a traitlets application's dictConfig disables the loggers that exist) or raised a level.
    involved = [logger, logging.getLogger("tornado.general"), asyncio_logger]
    saved = [(each, each.disabled, each.level, each.propagate) for each in involved]
    disabled_below = logging.root.manager.disable
    logging.disable(logging.NOTSET)
    for each in involved:
        each.disabled, each.propagate = False, True
        each.setLevel(logging.WARNING if each is not involved[1] else logging.NOTSET)

    def run_one_failing_callback() -> None:
        context = zmq.Context()
        loop = IOLoop(make_current=False)
        try:
            receiver, sender = context.socket(zmq.PAIR), context.socket(zmq.PAIR)
            port = receiver.bind_to_random_port("tcp://127.0.0.1")
            sender.connect(f"tcp://127.0.0.1:{port}")

            def callback(_message: object) -> None:
                loop.stop()
                raise error

            stream = ZMQStream(receiver, loop)
            stream.on_recv(callback)
            sender.send(b"hello")
            loop.call_later(5, loop.stop)
            loop.start()
            stream.close()
            sender.close()
        finally:
            loop.close()
            context.term()

    # a thread of its own, as the kernel's shell channel has: the test process's main thread may
    # hold a running asyncio loop left by an earlier test, and a loop cannot start inside another
    worker = threading.Thread(target=run_one_failing_callback)
    try:
        worker.start()
        worker.join(timeout=30)
    finally:
        logger.removeHandler(handler)
        asyncio_logger.removeHandler(last_resort)
        for each, disabled, level, propagate in saved:
            each.disabled, each.propagate = disabled, propagate
            each.setLevel(level)
        logging.disable(disabled_below)
    assert not worker.is_alive(), "the ZMQStream loop did not stop"
    return captured.getvalue()


def test_the_kernels_own_transport_errors_are_not_the_notebooks_output() -> None:
    logged = _zmqstream_callback_log(KeyError("header"))
    assert logged.startswith("ERROR:tornado.general:Uncaught exception in ZMQStream callback\nTraceback")
    assert "Exception in callback BaseAsyncIOLoop._handle_events" in logged
    cell_output = "plotting\n"
    with_log = [stream(cell_output + logged, "stderr")]
    assert outputs_difference([stream(cell_output, "stderr")], with_log, "", volatile_rules()) is None
    assert outputs_difference([], [stream(logged, "stderr")], "", volatile_rules()) is None


def test_a_users_own_error_log_and_traceback_are_still_compared() -> None:
    traceback = 'Traceback (most recent call last):\n  File "x.py", line 1, in <module>\nValueError: loss 0.31\n'
    first = [stream("ERROR:root:training failed\n" + traceback, "stderr")]
    second = [stream("ERROR:root:training failed\n" + traceback.replace("0.31", "0.32"), "stderr")]
    assert outputs_difference(first, second, "", volatile_rules()) is not None
    # the transport rule takes its own traceback only: a user's traceback after it still counts
    logged = _zmqstream_callback_log(RuntimeError("boom"))
    assert outputs_difference(
        [stream(logged + traceback, "stderr")], [stream(traceback.replace("0.31", "0.32"), "stderr")], "", volatile_rules()
    ) is not None
