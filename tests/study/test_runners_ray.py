"""`keras-initact compare --ray`: the cells as tasks on a Ray cluster.

The module starts a local Ray instance (`ray.init(num_cpus=2)`, about 8 s
here) on this machine and shuts it down after the tests; Ray is the
optional extra `keras_initact[ray]`, so the tests skip without it.
"""

import os

import pandas as pd
import pytest

from keras_initact.study import compare, runners

ray = pytest.importorskip("ray")

GRID = dict(inits=["lsuv"], baseline="lsuv", activations=["relu", "tanh"],
            depths=[1], seeds=[0], dataset="digits", epochs=1, width=16,
            batch_size=16, export_dir=None, progress=False, log=lambda _: None)


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": runners.WORKER_ENVIRONMENT})
    yield
    ray.shutdown()


def test_an_address_that_does_not_answer_is_refused_before_training(tmp_path):
    # First in the module: no cluster is connected yet.
    with pytest.raises(runners.RayUnavailable, match="does not answer"):
        compare(**GRID, output_dir=str(tmp_path), ray="127.0.0.1:1")
    assert os.listdir(tmp_path / "cells") == []


def test_ray_gives_the_numbers_of_the_serial_run(local_ray, tmp_path):
    serial = compare(**GRID, output_dir=str(tmp_path / "serial"))
    on_ray = compare(**GRID, output_dir=str(tmp_path / "ray"), ray="auto")
    assert [r.status for r in on_ray.results] == ["ok", "ok"]
    columns = ["final_test_accuracy", "best_test_accuracy", "final_test_loss"]
    pd.testing.assert_frame_equal(on_ray.table[columns], serial.table[columns],
                                  rtol=1e-5)
    # Each run's record and logs are in the study's folder, as when serial.
    def runs(study):
        logs = tmp_path / study / "logs"
        return sorted(p for p in os.listdir(logs) if (logs / p).is_dir())

    assert runs("ray") == runs("serial") == ["lsuv-relu-d1-s0",
                                             "lsuv-tanh-d1-s0"]
