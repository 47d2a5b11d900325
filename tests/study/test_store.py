"""`keras_initact.study.store`: a study's records survive and failed runs
are retried; another configuration is refused unless fresh; a damaged
study.json is a clear error and a damaged record is set aside and its run
trains again; a kill's temporaries are ignored, then removed; one process
at a time holds a study."""

import json
import os
import warnings

import pytest

from keras_initact.study.grid import Cell, CellResult


class TestStore:
    CONFIG = {"dataset": {"name": "digits"}, "options": {"epochs": 2}}

    def test_results_survive_and_failed_runs_are_retried(self, tmp_path):
        from keras_initact.study.store import StudyStore

        study = StudyStore(tmp_path, self.CONFIG)
        ok = CellResult(Cell("lsuv", "relu", 3, 1), "ok", final_accuracy=0.9,
                        history={"val_accuracy": [0.9]})
        failed = CellResult(Cell("lsuv", "relu", 3, 2), "failed", error="x")
        study.record(ok)
        study.record(failed)
        again = StudyStore(tmp_path, self.CONFIG).finished()
        assert list(again) == [ok.cell]
        assert again[ok.cell].final_accuracy == 0.9
        assert again[ok.cell].history == {"val_accuracy": [0.9]}
        assert not [name for name in os.listdir(tmp_path / "cells")
                    if name.startswith(".")]  # no partial files

    def test_another_configuration_is_refused_unless_fresh(self, tmp_path):
        from keras_initact.study.store import ConfigurationMismatch, StudyStore

        config = {"dataset": {"name": "digits", "limit": None},
                  "options": {"epochs": 2, "width": 16, "filters": []}}
        StudyStore(tmp_path, config).record(
            CellResult(Cell("lsuv", "relu", 3), "ok", final_accuracy=0.9))
        other = {"dataset": {"name": "digits", "limit": 100},
                 "options": {"epochs": 5, "width": 16, "filters": [8]}}
        names = {"options.epochs": "--epochs", "dataset.limit": "--limit"}
        with pytest.raises(ConfigurationMismatch) as error:
            StudyStore(tmp_path, other, option_names=names)
        message = str(error.value)
        assert ("(--limit: none \u2192 100; --epochs: 2 \u2192 5; "
                "options.filters: none \u2192 8)") in message
        assert "width" not in message and "digits" not in message
        assert ("Give a new --output-dir for this study, or that study's "
                "options (no --limit --epochs 2 options.filters=none) to "
                "resume it, or --fresh") in message
        assert error.value.differences == [
            ("dataset.limit", None, 100), ("options.epochs", 2, 5),
            ("options.filters", [], [8])]
        assert StudyStore(tmp_path, other, fresh=True).finished() == {}

    def test_a_damaged_study_json_is_a_clear_error(self, tmp_path):
        from keras_initact.study.store import DamagedStudy, StudyStore

        StudyStore(tmp_path, self.CONFIG)
        (tmp_path / "study.json").write_text('{"dataset": {"na')
        with pytest.raises(DamagedStudy, match=r"study.json cannot be read "
                           r"\(JSONDecodeError: .*\); it holds the "
                           r"configuration .*--fresh"):
            StudyStore(tmp_path, self.CONFIG)

    RECORD = CellResult(Cell("lsuv", "relu", 3, 1), "ok", final_accuracy=0.9)

    @pytest.mark.parametrize("content, reason", [
        (b"", "it is empty"),
        (json.dumps(RECORD.to_dict()).encode()[:60],
         "not whole JSON: Expecting"),
        (bytes(range(256)), "not UTF-8 text: byte 0x80 at offset 128"),
        (b'{"cell": {"init": "lsuv"}}', "not a run's record: 'cell' has"),
        (b'["lsuv-relu-d3-s1"]', "not a run's record: a JSON list"),
        (json.dumps({**RECORD.to_dict(), "cell": {
            "init": "he_normal", "activation": "relu", "depth": 3,
            "seed": 1}}).encode(),
         "it records the run 'he_normal-relu-d3-s1', not 'lsuv-relu-d3-s1'"),
    ])
    def test_a_damaged_record_is_set_aside_and_its_run_trains_again(
            self, tmp_path, content, reason):
        from keras_initact.study.store import StudyStore, StudyWarning

        study = StudyStore(tmp_path, self.CONFIG)
        whole = CellResult(Cell("lsuv", "relu", 3, 2), "ok",
                           final_accuracy=0.8)
        study.record(whole)
        damaged = tmp_path / "cells" / "lsuv-relu-d3-s1.json"
        damaged.write_bytes(content)
        with pytest.warns(StudyWarning) as caught:
            finished = StudyStore(tmp_path, self.CONFIG).finished()
        assert list(finished) == [whole.cell]  # the other cell trains again
        [warning] = caught
        message = str(warning.message)
        assert message.startswith(f"{damaged} is damaged ({reason}")
        assert message.endswith("); set aside as lsuv-relu-d3-s1.json."
                                "damaged, and its run trains again.")
        assert (tmp_path / "cells" / "lsuv-relu-d3-s1.json.damaged"
                ).read_bytes() == content
        assert not damaged.exists()
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # set aside once, not again
            assert list(StudyStore(tmp_path, self.CONFIG).finished()) == [
                whole.cell]

    def test_temporaries_left_by_a_kill_are_ignored_then_removed(
            self, tmp_path):
        from keras_initact.study.store import StudyStore

        study = StudyStore(tmp_path, self.CONFIG)
        study.record(self.RECORD)
        cells = tmp_path / "cells"
        left = [cells / ".lsuv-relu-d3-s2.json.1f2e3d4c.tmp",  # ours
                cells / ".lsuv-relu-d3-s2.k1_8xq2z.json",  # 0.1's mkstemp
                cells / "lsuv-relu-d3-s2.weights.h5.77.partial.weights.h5",
                cells / ".lsuv-relu-d3-s2.weights.h5.0a0b0c0d.tmp.weights.h5",
                tmp_path / ".results.csv.0a0b0c0d.tmp"]
        for path in left:
            path.write_bytes(b"")
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no record is damaged
            assert list(StudyStore(tmp_path, self.CONFIG).finished()) == [
                self.RECORD.cell]
            assert all(path.exists() for path in left)  # not held: kept
            with StudyStore(tmp_path, self.CONFIG, lock=True) as held:
                assert list(held.finished()) == [self.RECORD.cell]
        assert not any(path.exists() for path in left)
        assert sorted(os.listdir(cells)) == ["lsuv-relu-d3-s1.json"]

    def test_one_process_at_a_time_holds_a_study(self, tmp_path):
        import subprocess
        import sys

        from keras_initact.study.store import StudyBusy, StudyStore

        holder = subprocess.Popen(
            [sys.executable, "-c", "import fcntl, sys, time; "
             "f = open(sys.argv[1], 'a+'); fcntl.flock(f, fcntl.LOCK_EX); "
             "f.write('4242'); f.flush(); print('held', flush=True); "
             "time.sleep(60)", str(tmp_path / ".lock")],
            stdout=subprocess.PIPE, text=True)
        try:
            assert holder.stdout.readline() == "held\n"
            with pytest.raises(StudyBusy, match=r"another compare \(process "
                               r"4242\) is running the study in .*; wait"):
                StudyStore(tmp_path, self.CONFIG, lock=True)
        finally:
            holder.kill()
            holder.wait()
        with StudyStore(tmp_path, self.CONFIG, lock=True):
            pass  # free again

    def test_an_unwritable_folder_is_named(self, tmp_path):
        from keras_initact.study.store import StudyStore

        (tmp_path / "a_file").write_text("x")
        with pytest.raises(NotADirectoryError,
                           match=r"compare: cannot write to .*a_file/study"):
            StudyStore(tmp_path / "a_file" / "study", self.CONFIG)
