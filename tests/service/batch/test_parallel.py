"""``crosscheck batch --workers N``: engine processes with the real model (integration).

Each run is a real child process: the workers are spawned processes that load
the bundled model themselves, as a user's run does.
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import REPO

PLACES = ["Romania", "Roemenië", "Poland", "Polen", "Germany", "the Baltic states", "Bulgaria"]


def claims_file(path: Path, rows: int) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "claim"])
        for i in range(1, rows + 1):
            claim = f"{(i % 9 + 1) * 500:,} troops moved to {PLACES[i % len(PLACES)]}" if i % 13 else ""
            writer.writerow([f"c{i}", claim])
    return path


def batch(src: Path, out: Path, index_dir: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "CROSSCHECK_INDEX_DIR": str(index_dir)}
    env.pop("CROSSCHECK_WORKERS", None)
    command = [sys.executable, "-m", "service.cli", "batch", str(src), "-o", str(out), "--id-column", "id", *args]
    return subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def running_batch(src: Path, out: Path, index_dir: Path, rows_written: int) -> subprocess.Popen[str]:
    """A ``--workers 2`` run, once it has written more than ``rows_written`` rows."""
    child = batch(src, out, index_dir, "--workers", "2")
    deadline = time.monotonic() + 300
    while not (out.exists() and out.read_bytes().count(b"\n") > rows_written):
        assert child.poll() is None, child.communicate()
        assert time.monotonic() < deadline, "no rows written in time"
        time.sleep(0.05)
    return child


def finish(child: subprocess.Popen[str]) -> str:
    _, err = child.communicate(timeout=600)
    assert child.returncode == 0, err
    return err


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def stat(pid: int) -> list[str] | None:
    """State, parent pid, ... of a process (None once it is gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def children_of(pid: int) -> set[int]:
    return {
        int(p.name)
        for p in Path("/proc").iterdir()
        if p.name.isdigit() and (stat(int(p.name)) or ["", ""])[1] == str(pid)
    }


def alive(pid: int) -> bool:
    fields = stat(pid)
    return fields is not None and fields[0] not in {"Z", "X"}


def assert_gone(pids: set[int], seconds: float = 30) -> None:
    """Every process in ``pids`` ends within ``seconds`` (multiprocessing's resource tracker, one
    of them, leaves only once its parent's end of the pipe is closed, a moment after its exit)."""
    deadline = time.monotonic() + seconds
    while left := [pid for pid in pids if alive(pid)]:
        if time.monotonic() > deadline:
            raise AssertionError(f"processes outlived their parent: {[command(pid) for pid in left]}")
        time.sleep(0.1)


def command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")[:120]
    except OSError:
        return f"{pid} (gone)"


def test_workers_give_the_single_process_answers_in_input_order(seed_index_dir: Path, tmp_path: Path) -> None:
    src = claims_file(tmp_path / "claims.csv", 600)
    single, parallel = tmp_path / "single.csv", tmp_path / "parallel.csv"
    finish(batch(src, single, seed_index_dir, "--workers", "1"))
    err = finish(batch(src, parallel, seed_index_dir, "--workers", "2"))
    assert "starting 2 engine processes" in err
    one, two = rows(single), rows(parallel)
    assert [r["id"] for r in two] == [f"c{i}" for i in range(1, 601)]
    assert [r["verdict"] for r in two] == [r["verdict"] for r in one]
    assert [r["error"] for r in two] == [r["error"] for r in one]
    # the same stance per source; near-ties may order sources differently, as encoder batches differ
    assert [sorted(r["sources"].split(";")) for r in two] == [sorted(r["sources"].split(";")) for r in one]
    assert {r["verdict"] for r in two} >= {"supported", "refuted"}


def test_workers_leave_with_a_killed_parent_and_the_run_resumes(seed_index_dir: Path, tmp_path: Path) -> None:
    src = claims_file(tmp_path / "claims.csv", 3000)
    out = tmp_path / "checked.csv"
    child = running_batch(src, out, seed_index_dir, rows_written=300)
    workers = children_of(child.pid)
    assert len(workers) >= 2  # the engine processes (and multiprocessing's resource tracker)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert_gone(workers)

    err = finish(batch(src, out, seed_index_dir, "--workers", "2", "--resume"))
    assert "resuming after row" in err
    assert [r["id"] for r in rows(out)] == [f"c{i}" for i in range(1, 3001)]


def test_ctrl_c_stops_the_workers_and_keeps_every_finished_row(seed_index_dir: Path, tmp_path: Path) -> None:
    src = claims_file(tmp_path / "claims.csv", 3000)
    out = tmp_path / "checked.csv"
    child = running_batch(src, out, seed_index_dir, rows_written=200)
    workers = children_of(child.pid)
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=60)
    assert child.returncode == 130, err
    assert "Traceback" not in err and "add --resume to continue" in err
    assert_gone(workers)
    finished = rows(out)
    assert [r["id"] for r in finished] == [f"c{i}" for i in range(1, len(finished) + 1)]
    assert f"\n{len(finished):,} rows in " in err
