"""`keras-initact compare --jobs 2` killed: its workers end with it, and a
resume finishes the grid from whole records.

Both studies (one stopped by SIGTERM, one by SIGKILL of the main process)
run at the same time, each in its own process group, and each is killed as
soon as its first record exists: the workers are then training. The tests
stop every process they started themselves (the fixture kills both groups),
even when they fail. Linux only: they read the process table in /proc.
"""

import json
import os
import signal
import subprocess
import sys
import time
import warnings

import pytest

from keras_initact.study import compare
from keras_initact.study.grid import CellResult
from keras_initact.study.store import StudyWarning

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/self"),
                                reason="reads the process table in /proc")

SEEDS = [0, 1, 2]
OPTIONS = dict(dataset="digits", epochs=1, width=8, batch_size=32)
COMMAND = [sys.executable, "-m", "keras_initact", "compare",
           "--dataset", "digits", "--inits", "he_normal",
           "--baseline", "he_normal", "--activations", "relu",
           "--depths", "1", "--seeds", ",".join(map(str, SEEDS)),
           "--epochs", "1", "--width", "8", "--batch-size", "32",
           "--no-progress", "--no-export", "--jobs", "2"]
START_TIMEOUT_S = 240  # to the first record, both studies at once
OUTLIVE_LIMIT_S = 10


def group_members(group):
    """The live (not zombie) processes of a process group."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rpartition(")")[2].split()
        except OSError:  # it ended meanwhile
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            members.append(int(entry))
    return members


def records(folder):
    """The finished records under `cells/` (names and metadata)."""
    cells = folder / "cells"
    if not cells.is_dir():
        return {}
    found = {}
    for name in os.listdir(cells):
        if name.startswith("."):
            continue
        try:
            stat = os.stat(cells / name)
        except FileNotFoundError:
            continue
        found[name] = (stat.st_size, stat.st_mtime_ns)
    return found


class KilledStudy:
    """One `compare --jobs 2` run, killed by `signum` at its first record."""

    def __init__(self, folder, signum):
        self.folder, self.signum = folder, signum
        self.log = open(folder.parent / f"{folder.name}.log", "w+")
        self.process = subprocess.Popen(
            [*COMMAND, "--output-dir", str(folder)], stdout=self.log,
            stderr=subprocess.STDOUT, start_new_session=True)
        self.killed_at = self.exited_at = self.ended_at = None
        self.files_at_exit = self.files_at_end = None
        self.running_at_kill = None

    def step(self):
        """Advances: kill at the first record, then watch the main
        process exit and its group empty. Returns whether it is done."""
        now = time.monotonic()
        if self.killed_at is None:
            if not [n for n in records(self.folder) if n.endswith(".json")]:
                if self.process.poll() is not None:
                    raise AssertionError(f"the study ended early:\n"
                                         f"{self.output()}")
                return False
            self.running_at_kill = group_members(self.process.pid)
            os.kill(self.process.pid, self.signum)
            self.killed_at = now
        if self.exited_at is None:
            if self.process.poll() is None:
                if now - self.killed_at > 60:
                    raise AssertionError("the main process did not exit "
                                         "within 60 s of the signal")
                return False
            self.exited_at = now
            self.files_at_exit = records(self.folder)
        if self.ended_at is None:
            if group_members(self.process.pid):
                return now - self.exited_at > OUTLIVE_LIMIT_S
            self.ended_at = now
            self.files_at_end = records(self.folder)
        return True

    def output(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def stop(self):
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()
        self.log.close()


@pytest.fixture(scope="module")
def killed(tmp_path_factory):
    root = tmp_path_factory.mktemp("kills")
    studies = {}
    try:
        for name, signum in (("sigterm", signal.SIGTERM),
                             ("sigkill", signal.SIGKILL)):
            studies[signum] = KilledStudy(root / name, signum)
        deadline = time.monotonic() + START_TIMEOUT_S
        while not all([study.step() for study in studies.values()]):
            if time.monotonic() > deadline:
                raise AssertionError("no first record within "
                                     f"{START_TIMEOUT_S} s")
            time.sleep(0.05)
        yield {signum: (study, study.output())
               for signum, study in studies.items()}
    finally:
        for study in studies.values():
            study.stop()


def check_killed(study):
    # Two workers (and multiprocessing's resource tracker) were running.
    assert len(study.running_at_kill) >= 3, study.running_at_kill
    assert study.ended_at is not None, (
        f"workers outlived the main process by more than {OUTLIVE_LIMIT_S} "
        f"s: {group_members(study.process.pid)}")
    assert study.ended_at - study.exited_at <= OUTLIVE_LIMIT_S
    # Nothing trained on after the main process had gone.
    assert study.files_at_end == study.files_at_exit
    names = [n for n in study.files_at_end if n.endswith(".json")]
    assert 1 <= len(names) < len(SEEDS)
    for name in names:  # every record whole
        with open(study.folder / "cells" / name, encoding="utf-8") as f:
            assert CellResult.from_dict(json.load(f)).status == "ok"
    return len(names)


def resume(folder):
    with warnings.catch_warnings():
        warnings.simplefilter("error", StudyWarning)  # nothing damaged
        return compare(["he_normal"], ["relu"], [1], seeds=SEEDS,
                       baseline="he_normal", output_dir=str(folder),
                       export_dir=None, progress=False, log=lambda _: None,
                       **OPTIONS)


def check_resumed(comparison, recorded, folder):
    assert comparison.resumed == recorded
    assert [r.status for r in comparison.results] == ["ok"] * len(SEEDS)
    cells = sorted(os.listdir(folder / "cells"))
    assert cells == sorted(
        f"he_normal-relu-d1-s{seed}{suffix}" for seed in SEEDS
        for suffix in (".json", ".weights.h5"))


def test_sigterm_stops_the_workers_and_a_resume_finishes(killed):
    study, output = killed[signal.SIGTERM]
    recorded = check_killed(study)
    assert study.process.returncode == 128 + signal.SIGTERM, output
    assert "stopped by SIGTERM" in output
    assert f"--output-dir {study.folder}" in output  # the resume command
    check_resumed(resume(study.folder), recorded, study.folder)


def test_sigkill_of_the_main_process_ends_its_workers(killed):
    study, output = killed[signal.SIGKILL]
    assert study.process.returncode == -signal.SIGKILL
    recorded = check_killed(study)
    check_resumed(resume(study.folder), recorded, study.folder)
