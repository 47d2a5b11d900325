"""`keras_initact.study.runners`: the local pool of worker processes; a
worker that dies fails its cell and the grid goes on, and workers drop
TensorFlow's retracing warning only."""

import logging
import os
import queue

from keras_initact.study.grid import Cell, CellResult, StudyOptions


def fake_work(task):
    """What a worker does in the pool tests: the result of a fake run, or
    the death of its process for the cell of seed 1."""
    import signal

    cell = Cell(**task["cell"])
    if cell.seed == 1:
        os.kill(os.getpid(), signal.SIGKILL)
    return CellResult(cell, "ok", final_accuracy=0.5 + cell.seed / 10,
                      wall_time_s=float(os.getpid())).to_dict()


class TestRunners:
    def test_a_worker_that_dies_fails_its_cell_and_the_grid_goes_on(self):
        from keras_initact.study import runners

        tasks = [runners.task_for(Cell("lsuv", "relu", 2, seed),
                                  StudyOptions(), {"name": "digits"}, None,
                                  None) for seed in range(4)]
        got = []
        runners.run_local(tasks, got.append, jobs=2, work=fake_work)
        by_seed = {r["cell"]["seed"]: r for r in got}
        assert sorted(by_seed) == [0, 1, 2, 3]
        assert by_seed[1]["status"] == "failed"
        assert by_seed[1]["error"] == \
            "its worker process was killed by SIGKILL (out of memory?)"
        for seed in (0, 2, 3):
            assert by_seed[seed]["status"] == "ok"
            assert by_seed[seed]["final_accuracy"] == 0.5 + seed / 10
            assert by_seed[seed]["wall_time_s"] != os.getpid()  # a worker

    def test_workers_drop_tensorflows_retracing_warning_only(self):
        import tensorflow as tf

        from keras_initact.study import runners

        class Recorder(logging.Handler):
            def __init__(self):
                super().__init__()
                self.messages = []

            def emit(self, record):
                self.messages.append(record.getMessage())

        recorder = Recorder()
        logger = logging.getLogger("tensorflow")
        level = logger.level
        logger.setLevel(logging.WARNING)  # the CLI sets ERROR in-process
        logger.addHandler(recorder)
        tasks, events = queue.Queue(), queue.Queue()
        for seed in range(7):
            tasks.put({"cell": {"seed": seed}})
        tasks.put(None)
        try:
            # In-process: the worker's loop, each task making a new
            # tf.function of the same code, as every cell's callbacks do.
            runners._worker(0, {}, tasks, events, new_function_per_task)
            tf.get_logger().warning("a real warning")
        finally:
            logger.removeHandler(recorder)
            logger.setLevel(level)
        assert events.qsize() == 14
        assert not [m for m in recorder.messages if "retracing" in m]
        assert "a real warning" in recorder.messages


def new_function_per_task(task):
    import tensorflow as tf

    function = tf.function(lambda x: x + 1)
    return float(function(tf.constant(float(task["cell"]["seed"]))))
