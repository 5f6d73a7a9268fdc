"""The notebooks' own checks work, and a chapter's outputs are reproducible and clean.

nbval runs the stored notebooks (no outputs, so `--nbval-lax` only proves that no cell raises); the numbers that a
chapter states are guarded by its assert cells. These tests show that a wrong number does fail the suite, that
two clean executions of a chapter print identical text, and that no output carries terminal control characters,
progress bars or TensorFlow log lines.
"""

import json
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))

import booktools  # noqa: E402
from booktools import JUNK, junk_in, output_texts  # noqa: E402

SAMPLE = booktools.notebook_for(booktools.chapters()[0])
GUARD = re.compile(r"^(assert .*==\s*)(\d+)\s*$", re.MULTILINE)

def execute(path: Path):
    """Execute a notebook in a fresh kernel, in notebooks/ as nbval does; returns (notebook, seconds).

    The kernel starts without the TensorFlow variables that tests/conftest.py sets, as on a learner's machine:
    the notebook's set-up cell must keep TensorFlow quiet by itself.
    """
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=300, kernel_name=nb.metadata.kernelspec.name,
                            resources={"metadata": {"path": str(path.parent)}})
    with pytest.MonkeyPatch.context() as mp:
        for name in ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS"):
            mp.delenv(name, raising=False)
        start = time.perf_counter()
        client.execute()
        seconds = time.perf_counter() - start
    return nb, seconds


@pytest.fixture(scope="module")
def two_runs():
    return [execute(SAMPLE), execute(SAMPLE)]


def test_two_clean_executions_print_the_same_text(two_runs):
    (first, _), (second, _) = two_runs
    assert output_texts(first), "the sample chapter printed nothing to compare"
    assert output_texts(first) == output_texts(second)


def test_outputs_carry_no_terminal_junk_nor_tensorflow_logs(two_runs):
    for nb, _ in two_runs:
        assert junk_in(nb) == []


def test_junk_patterns_catch_what_they_should():
    samples = {
        "\x1b[1m8/8\x1b[0m \x1b[32m━━━━━━━━━━━━━━━━━━━━\x1b[0m\x1b[37m\x1b[0m \x1b[1m0s\x1b[0m 2ms/step": 2,
        "I0000 00:00:1758131045.203198 3722035 cudart_stub.cc:31] Could not find cuda drivers": 2,
        "oneDNN custom operations are on.": 1,
        "Epoch 1/3\r 32/100 [========>.....................] - ETA: 0s": 2,
        "61": 0,
    }
    for text, n in samples.items():
        assert sum(bool(p.search(text)) for p in JUNK.values()) == n, text


def run_nbval(directory: Path, *notebooks: str) -> tuple[int, dict[str, int], str]:
    """Run `pytest --nbval-lax` on notebooks in ``directory``; (exit code, failures per notebook, output)."""
    report = directory / "report.xml"
    cmd = [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-p", "no:cacheprovider",
           "-p", "no:randomly", "-q", f"--junitxml={report}", *notebooks]
    proc = subprocess.run(cmd, cwd=directory, capture_output=True, text=True, timeout=900)
    failures = {name: 0 for name in notebooks}
    for case in ET.parse(report).getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            name = next(n for n in notebooks if Path(n).stem in case.get("classname", "") + case.get("file", ""))
            failures[name] += 1
    return proc.returncode, failures, proc.stdout + proc.stderr


def test_a_wrong_number_fails_the_suite(tmp_path):
    nb = json.loads(SAMPLE.read_text(encoding="utf-8"))
    guarded = [(i, c) for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code" and GUARD.search("".join(c["source"]))]
    assert guarded, f"{SAMPLE.name} has no assert cell guarding a number (`assert ... == <number>`)"
    (tmp_path / "unchanged.ipynb").write_text(json.dumps(nb), encoding="utf-8")

    i, cell = guarded[0]
    source = "".join(cell["source"])
    wrong = GUARD.sub(lambda m: f"{m.group(1)}{int(m.group(2)) + 1}", source, count=1)
    assert wrong != source
    cell["source"] = wrong
    (tmp_path / "wrong.ipynb").write_text(json.dumps(nb), encoding="utf-8")

    code, failures, output = run_nbval(tmp_path, "unchanged.ipynb", "wrong.ipynb")
    assert code == 1, output
    assert failures == {"unchanged.ipynb": 0, "wrong.ipynb": 1}, output
    assert "AssertionError" in output
