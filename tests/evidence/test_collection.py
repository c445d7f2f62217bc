"""``jupyter-seed check PATH...``: collections here and on a Dask cluster, JUnit, cache, Ctrl-C (issue 24)."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

import pytest

from jupyter_seed.cli import main
from jupyter_seed.evidence.collection.cache import NotebookCache, cache_key
from jupyter_seed.evidence.collection.command import _progress, check_collection
from jupyter_seed.evidence.collection.discovery import DiscoveryError, find_notebooks
from jupyter_seed.evidence.collection.outcome import NotebookOutcome
from jupyter_seed.evidence.collection.reports import junit_xml
from jupyter_seed.evidence.options import CheckOptions

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[2]


def write_notebook(path: Path, *cells: str, markdown: str | None = None) -> Path:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = ([nbformat.v4.new_markdown_cell(markdown)] if markdown else []) + [
        nbformat.v4.new_code_cell(source) for source in cells
    ]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, str(path))
    return path


@pytest.fixture
def collection(tmp_path: Path) -> Path:
    """clean, differing (OS entropy), failing, one in a sub-folder, and a checkpoint copy to skip."""
    folder = tmp_path / "notebooks"
    write_notebook(folder / "clean.ipynb", "import random\nprint(random.random())")
    write_notebook(folder / "differs.ipynb", "import os\nprint(os.urandom(4).hex())")
    write_notebook(folder / "fails.ipynb", "raise ValueError('boom')")
    write_notebook(folder / "sub" / "nested.ipynb", "import random\nprint(random.randint(0, 10**9))")
    write_notebook(
        folder / ".ipynb_checkpoints" / "differs-checkpoint.ipynb", "import os\nprint(os.urandom(4))"
    )
    return folder


EXPECTED = {
    "clean.ipynb": "reproducible",
    "differs.ipynb": "differs",
    "fails.ipynb": "not run",
    "sub/nested.ipynb": "reproducible",
}


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def junit_cases(path: Path) -> dict[str, ElementTree.Element]:
    root = ElementTree.parse(path).getroot()  # a real XML parser: a malformed file raises here
    assert root.tag == "testsuites"
    suite = root.find("testsuite")
    assert suite is not None
    cases = {case.get("name", ""): case for case in suite.findall("testcase")}
    assert int(suite.get("tests", "0")) == len(suite.findall("testcase"))
    return cases


def verdicts(output: str, folder: Path) -> dict[str, tuple[Any, ...]]:
    data = json.loads(output)
    return {
        Path(n["notebook"]).relative_to(folder).as_posix(): (
            n["verdict"],
            n["cells"],
            n["differing"],
            n["first_cause"],
        )
        for n in data["notebooks"]
    }


def test_a_folder_checked_here_and_on_a_local_cluster_gives_the_same_verdicts(
    collection: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    distributed = pytest.importorskip("distributed")
    summary = tmp_path / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    here_xml, there_xml = tmp_path / "here.xml", tmp_path / "there.xml"
    code, out, _ = run_cli(
        ["check", str(collection), "--format", "json", "--junit-xml", str(here_xml)], capsys
    )
    here = verdicts(out, collection)
    assert code == 2  # the worst verdict: a notebook that could not run
    assert {name: found[0] for name, found in here.items()} == EXPECTED  # the checkpoint copy is not checked
    assert here["differs.ipynb"][2] == 1 and "os.urandom" in here["differs.ipynb"][3]
    assert "ValueError: boom" in here["fails.ipynb"][3]

    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
        ) as cluster,
    ):
        code_there, out_there, _ = run_cli(
            [
                "check",
                str(collection),
                "--format",
                "json",
                "--junit-xml",
                str(there_xml),
                "--scheduler",
                cluster.scheduler_address,
            ],
            capsys,
        )
    assert code_there == code
    assert verdicts(out_there, collection) == here

    for path in (here_xml, there_xml):
        cases = junit_cases(path)
        assert sorted(Path(name).relative_to(collection).as_posix() for name in cases) == sorted(EXPECTED)
        by_name = {Path(name).relative_to(collection).as_posix(): case for name, case in cases.items()}
        failure = by_name["differs.ipynb"].find("failure")
        assert (
            failure is not None
            and "DIFFERS" in (failure.text or "")
            and "os.urandom" in failure.get("message", "")
        )
        error = by_name["fails.ipynb"].find("error")
        assert error is not None and "boom" in (error.text or "")
        assert by_name["clean.ipynb"].find("failure") is None and by_name["clean.ipynb"].find("error") is None
    text = summary.read_text(encoding="utf-8")
    assert text.count("### jupyter-seed check: 4 notebooks") == 2  # appended by each run, not overwritten
    assert "| `" + str(collection / "differs.ipynb") + "` | ❌ differs | 1 of 1 |" in text


def test_the_cache_skips_an_unchanged_notebook_and_reruns_a_changed_one(tmp_path: Path) -> None:
    folder = tmp_path / "project"
    (folder / "helper.py").parent.mkdir(parents=True)
    (folder / "helper.py").write_text("import tools\nVALUE = tools.BASE + 1\n")
    (folder / "tools.py").write_text("BASE = 40\n")
    notebook = write_notebook(
        folder / "uses_helper.ipynb", "import random, helper\nprint(helper.VALUE, random.random())"
    )
    cache = tmp_path / "cache"

    def check(seed: int = 0) -> NotebookOutcome:
        result = check_collection([folder], CheckOptions(seed=seed), cache=cache, progress=False)
        (outcome,) = result.outcomes
        assert outcome.verdict == "reproducible", outcome.text
        return outcome

    assert not check().cached  # first time: it runs
    assert check().cached  # unchanged: not run again
    (folder / "tools.py").write_text("BASE = 41\n")  # a module the notebook's module imports
    assert not check().cached
    assert check(seed=1).cached is False  # another seed option
    assert check(seed=1).cached
    stored = nbformat.read(str(notebook), as_version=4)
    stored.cells[0].source += "\nprint('a changed code cell')"  # same cell id: only its code changed
    nbformat.write(stored, str(notebook))
    assert not check(seed=1).cached
    assert len(list(cache.glob("*.json"))) == 4  # one clean verdict per distinct input


def test_the_cache_key_covers_code_outputs_modules_options_but_not_markdown(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("from .core import f\n")
    (tmp_path / "pkg" / "core.py").write_text("def f():\n    return 1\n")
    path = write_notebook(
        tmp_path / "a.ipynb", "%load_ext autoreload\nimport pkg\npkg.f()", markdown="# intro"
    )
    base = {"seed": 0, "runs": 2, "parallel": None}
    key = cache_key(path, base)
    assert key is not None and key == cache_key(path, {**base, "parallel": 4})
    stored = nbformat.read(str(path), as_version=4)
    stored.cells[0].source = "# a new title"
    nbformat.write(stored, str(path))
    assert cache_key(path, base) == key  # markdown is not an input of the verdict
    assert cache_key(path, {**base, "runs": 3}) != key
    (tmp_path / "pkg" / "core.py").write_text("def f():\n    return 2\n")
    assert cache_key(path, base) != key
    stored = nbformat.read(str(path), as_version=4)
    stored.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="2\n")]
    nbformat.write(stored, str(path))
    assert cache_key(path, base) not in (key, None)
    (tmp_path / "broken.ipynb").write_text("{not json")
    assert cache_key(tmp_path / "broken.ipynb", base) is None


def test_the_cache_keeps_only_clean_verdicts(tmp_path: Path) -> None:
    cache = NotebookCache(tmp_path / "c")
    cache.put("k1", NotebookOutcome("a.ipynb", "differs", 1, 1, "cell 1"))
    cache.put("k2", NotebookOutcome("b.ipynb", "not run", first_cause="boom"))
    assert cache.get("k1", "a.ipynb") is None and cache.get("k2", "b.ipynb") is None
    cache.put("k3", NotebookOutcome("c.ipynb", "reproducible", 2, 0))
    hit = cache.get("k3", "renamed.ipynb")
    assert hit is not None and hit.cached and hit.notebook == "renamed.ipynb"
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match="not a folder"):
        NotebookCache(tmp_path / "file")


def test_discovery_takes_files_folders_and_globs_once_each_and_skips_checkpoints(collection: Path) -> None:
    found = find_notebooks(
        [str(collection), str(collection / "clean.ipynb"), str(collection / "**" / "*.ipynb")]
    )
    names = [path.relative_to(collection).as_posix() for path in found]
    assert names == ["clean.ipynb", "differs.ipynb", "fails.ipynb", "sub/nested.ipynb"]
    for bad, message in (("missing", "no such file or folder"), ("*.nothing", "matches no notebook")):
        with pytest.raises(DiscoveryError, match=message):
            find_notebooks([str(collection / bad)])


def test_a_bad_path_in_a_collection_is_one_line_and_exit_2(
    collection: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(["check", str(collection / "clean.ipynb"), str(collection / "nope")], capsys)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and "nope: no such file" in err
    code, _, err = run_cli(["check", str(collection), "--scheduler", "nonsense::"], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "--scheduler" in err


def test_one_file_keeps_the_single_checks_output(
    collection: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(["check", str(collection / "clean.ipynb")], capsys)
    assert code == 0
    assert out.startswith(f"{collection / 'clean.ipynb'}: mode once") and "notebooks:" not in out


def test_junit_xml_holds_any_report_text() -> None:
    outcome = NotebookOutcome(
        "a<&>.ipynb", "differs", 1, 1, "cell 1: \x1b[31mred\x1b[0m", 1.0, text="\x1b[31m<x>"
    )
    root = ElementTree.fromstring(junit_xml([outcome], 1.0))
    failure = root.find("testsuite/testcase/failure")
    assert (
        failure is not None
        and failure.text == "?[31m<x>"
        and root.find("testsuite/testcase").get("name") == "a<&>.ipynb"
    )


def _kernels_of(pid: int) -> set[int]:
    import psutil

    try:
        children = psutil.Process(pid).children(recursive=True)  # on Dask, the workers' kernels
    except psutil.Error:
        return set()
    found = set()
    for child in children:
        try:
            if "ipykernel" in " ".join(child.cmdline()):
                found.add(child.pid)
        except psutil.Error:
            continue  # ended (a zombie until its parent reaps it)
    return found


def _alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


@pytest.mark.parametrize("scheduler", [[], ["--scheduler", "local"]], ids=["here", "dask"])
def test_ctrl_c_mid_collection_reports_what_finished_and_leaves_no_kernel(
    tmp_path: Path, scheduler: list[str]
) -> None:
    pytest.importorskip("psutil")
    if scheduler:
        pytest.importorskip("distributed")
    folder = tmp_path / "slow"
    write_notebook(folder / "a_quick.ipynb", "print(1)")
    write_notebook(folder / "b_slow.ipynb", "import time\ntime.sleep(120)")
    write_notebook(folder / "c_slow.ipynb", "import time\ntime.sleep(120)")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PYTEST_CURRENT_TEST", None)
    command = [
        sys.executable,
        "-m",
        "jupyter_seed.cli",
        "check",
        str(folder),
        "--parallel",
        "2",
        "--no-doctor",
        *scheduler,
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    seen: set[int] = set()
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:  # a_quick's two kernels came and went; b_slow's are running
            running = _kernels_of(process.pid)
            seen |= running
            if len(seen) >= 4 and len(running) == 2:
                break
            time.sleep(0.1)
        assert len(seen) >= 4, "the slow notebook's kernels never started"
        time.sleep(1.0)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, err
    rows = {line.split()[0]: line for line in out.splitlines() if line.startswith(str(folder))}
    assert "reproducible" in rows[str(folder / "a_quick.ipynb")]
    assert (
        "interrupted" in rows[str(folder / "b_slow.ipynb")]
        and "interrupted" in rows[str(folder / "c_slow.ipynb")]
    )
    assert "no kernel is left running" in err
    assert [pid for pid in seen if _alive(pid)] == []


def test_an_example_folder_with_spaces_and_copies(tmp_path: Path, collection: Path) -> None:
    spaced = tmp_path / "with space"
    shutil.copytree(collection, spaced)
    assert [p.name for p in find_notebooks([str(spaced)])] == [
        "clean.ipynb",
        "differs.ipynb",
        "fails.ipynb",
        "nested.ipynb",
    ]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_shows_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("tqdm")
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert _progress(3, None).disable
    monkeypatch.setattr(sys, "stderr", _Terminal())
    bar = _progress(3, None)
    assert not bar.disable
    bar.close()
