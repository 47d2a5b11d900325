"""Where a study's cells run: in this process, in worker processes, or on Ray.

A cell is described by a task (a JSON-ready dict: the cell, the training
options, the dataset and where to write), and `run_task` turns a task into
its result (a `CellResult` as a dict) in whatever process it lands:

- `run_serial`: one after the other, in this process;
- `run_local(jobs=N)`: N worker processes, each with its own TensorFlow
  (started with `spawn`), each pinned to its own GPU where there are GPUs;
  a worker that dies (killed, out of memory) fails its cell with the reason
  and is replaced, and the rest of the grid goes on; workers end with the
  process that started them, however it ends (SIGKILL included), and leave
  Ctrl-C to it;
- `run_ray(address)`: Ray tasks on a cluster (`pip install
  "keras_initact[ray]"`), each asking for a GPU where the cluster has them,
  so that Ray places them; a task that Ray loses fails its cell.

Every runner calls `on_result(result)` as each cell ends, in this process,
so the study records it at once.
"""

import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
from multiprocessing import connection

PROBE_TIMEOUT_S = 5.0
# Set in every worker before TensorFlow is imported.
WORKER_ENVIRONMENT = {"TF_CPP_MIN_LOG_LEVEL": "3"}
_DATASETS = {}  # the datasets this process has loaded, by their task spec
# A worker whose parent process is gone exits with this code.
ORPHANED_EXIT_CODE = 70
PR_SET_PDEATHSIG = 1  # linux/prctl.h


class _RetracingFilter(logging.Filter):
    """Drops TensorFlow's "N out of the last M calls to <f> triggered
    tf.function retracing" warning, and nothing else.

    Every cell makes its own model and callbacks, and so its own
    tf.functions, each traced once; TensorFlow counts those traces per
    Python function code, across the instances, and after five cells warns
    of a retracing that is none. The warning would break the progress
    bars and say nothing about the study."""

    def filter(self, record):
        return "triggered tf.function retracing" not in record.getMessage()


_RETRACING_FILTER = _RetracingFilter()


def quiet_retracing():
    """Installs `_RetracingFilter` on TensorFlow's logger (once)."""
    logger = logging.getLogger("tensorflow")
    if _RETRACING_FILTER not in logger.filters:
        logger.addFilter(_RETRACING_FILTER)


def task_for(cell, options, dataset, log_dir, weights_path):
    """The task of one cell (see the module docstring)."""
    import dataclasses

    return {"cell": dataclasses.asdict(cell), "options": options.to_dict(),
            "dataset": dataset, "log_dir": log_dir,
            "weights_path": weights_path}


def run_task(task, data=None, callbacks=()):
    """Trains a task's cell; returns its result as a dict. Never raises for
    the cell's own failures (they become a `failed` result).

    Args:
        task: see `task_for`.
        data: the loaded dataset, when the caller has it (else it is loaded
            here once per process, from `task["dataset"]`).
        callbacks: extra Keras callbacks (a progress bar).
    """
    from keras_initact.study import grid

    quiet_retracing()
    cell = grid.Cell(**task["cell"])
    try:
        options = grid.StudyOptions.from_dict(task["options"])
        if data is None:
            data = _dataset(task["dataset"])
    except Exception as error:
        return grid.CellResult(
            cell, "failed", f"{type(error).__name__}: {error}").to_dict()
    result, model = grid.train_cell(cell, data, options, task["log_dir"],
                                    callbacks)
    if model is not None and task.get("weights_path"):
        save_weights(model, task["weights_path"])
    return result.to_dict()


def save_weights(model, path):
    """`model.save_weights(path)`, atomically (Keras wants the
    `.weights.h5` suffix on the temporary too)."""
    from keras_initact.files import atomic_path

    with atomic_path(path, suffix=".weights.h5") as tmp:
        model.save_weights(tmp)


def _dataset(spec):
    from keras_initact.study import datasets

    key = tuple(sorted(spec.items()))
    if key not in _DATASETS:
        _DATASETS[key] = datasets.load(**spec)
    return _DATASETS[key]


def failed_result(task, reason):
    from keras_initact.study import grid

    return grid.CellResult(grid.Cell(**task["cell"]), "failed",
                           reason).to_dict()


def run_serial(tasks, on_result, data=None, callbacks_for=None):
    """Runs the tasks one after the other in this process."""
    for task in tasks:
        callbacks = callbacks_for(task) if callbacks_for else ()
        on_result(run_task(task, data, callbacks))


# -- worker processes -----------------------------------------------------------


def gpu_environments(jobs):
    """The environment of each of `jobs` workers: its own GPU (round robin
    over the GPUs this process sees), or none on a machine without GPUs."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return [dict(WORKER_ENVIRONMENT) for _ in range(jobs)]
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    ids = visible.split(",") if visible else [str(i) for i in range(len(gpus))]
    return [{**WORKER_ENVIRONMENT, "CUDA_VISIBLE_DEVICES": ids[i % len(ids)]}
            for i in range(jobs)]


def _worker(index, environment, tasks, events, work):
    _end_with_parent()
    os.environ.update(environment)
    quiet_retracing()
    while True:
        task = tasks.get()
        if task is None:
            return
        events.put(("start", index, task["cell"]))
        events.put(("done", index, task["cell"], work(task)))


def _end_with_parent():
    """In a worker process: ends it when its parent process ends, however
    (SIGKILL included), and leaves Ctrl-C to the parent, which stops the
    workers itself. Nothing in a process that is not a worker."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return
    # The terminal sends Ctrl-C to the whole process group.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        # The kernel kills this process when its parent ends, even while
        # it is in TensorFlow's C++ code.
        import ctypes

        try:
            ctypes.CDLL(None, use_errno=True).prctl(
                PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    # Everywhere: multiprocessing's sentinel of the parent becomes ready
    # when the parent ends (the end of a pipe it holds closes).
    def watch():
        parent.join()
        os._exit(ORPHANED_EXIT_CODE)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
    if not parent.is_alive():  # it ended before the watch began
        os._exit(ORPHANED_EXIT_CODE)


def _death(exitcode):
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        hint = " (out of memory?)" if name == "SIGKILL" else ""
        return f"its worker process was killed by {name}{hint}"
    return f"its worker process died with exit code {exitcode}"


class _Outbox:
    """A worker's end of its pipe to the parent: `put(message)` sends at
    once (no feeder thread), so a message is never lost with a worker that
    dies right after. One writer per pipe, so no lock: a worker killed in
    the middle of a message damages only its own pipe."""

    def __init__(self, connection):
        self.connection = connection

    def put(self, message):
        self.connection.send(message)


class _Worker:
    """A worker process and the parent's end of the pipe it reports on.

    The parent holds no writing end, so the pipe ends (`EOFError`) when the
    worker's process does, however it ends."""

    def __init__(self, context, index, environment, tasks, work):
        self.reader, writer = context.Pipe(duplex=False)
        self.process = context.Process(
            target=_worker, args=(index, environment, tasks, _Outbox(writer),
                                  work), daemon=True)
        try:
            self.process.start()
        finally:
            writer.close()  # the worker has its own copy
        self.open = True

    def waitables(self):
        """What `multiprocessing.connection.wait` watches for this worker:
        its pipe while open, and its process's sentinel."""
        return ([self.reader] if self.open else []) + [self.process.sentinel]

    def receive(self):
        """The whole messages waiting in the pipe. At the pipe's end, or a
        message cut off by the worker's death, the pipe is closed."""
        messages = []
        while self.open:
            try:
                if not self.reader.poll():
                    break
                messages.append(self.reader.recv())
            except (EOFError, OSError):  # OSError: a message cut short
                self.reader.close()
                self.open = False
        return messages


def run_local(tasks, on_result, jobs, environments=None, work=run_task):
    """Runs the tasks in `jobs` worker processes (see the module
    docstring); `environments[i]` is worker `i`'s environment, and `work`
    (a module-level function, importable by the workers) what each does
    with a task."""
    context = multiprocessing.get_context("spawn")
    environments = environments or [dict(WORKER_ENVIRONMENT)] * jobs
    task_queue = context.Queue()
    pending = {_key(task["cell"]): task for task in tasks}
    for task in tasks:
        task_queue.put(task)
    for _ in range(jobs):
        task_queue.put(None)

    def start(index):
        return _Worker(context, index, environments[index % jobs], task_queue,
                       work)

    workers = {}
    running = {}  # worker index -> the key of its cell

    def handle(index, message):
        kind, _, cell = message[:3]
        if kind == "start":
            running[index] = _key(cell)
        elif _key(cell) in pending:
            running.pop(index, None)
            pending.pop(_key(cell))
            on_result(message[3])

    try:
        for index in range(jobs):
            workers[index] = start(index)
        while pending:
            connection.wait([w for worker in workers.values()
                             for w in worker.waitables()], timeout=0.5)
            for index, worker in list(workers.items()):
                for message in worker.receive():
                    handle(index, message)
                if worker.process.is_alive():
                    continue
                for message in worker.receive():  # sent just before it ended
                    handle(index, message)
                worker.reader.close()
                key = running.pop(index, None)
                if key in pending:
                    on_result(failed_result(pending.pop(key),
                                            _death(worker.process.exitcode)))
                if worker.process.exitcode != 0 and pending:
                    workers[index] = start(index)  # a replacement
                else:
                    del workers[index]
            if not workers and pending:
                for key in list(pending):
                    on_result(failed_result(pending.pop(key),
                                            "no worker process is left"))
    finally:  # the grid is done, or this process is being stopped
        for worker in workers.values():
            if worker.process.is_alive():
                worker.process.terminate()
        for worker in workers.values():
            worker.process.join(timeout=10)
            worker.reader.close()
        if pending:  # stopped: the tasks nobody took need not be sent
            task_queue.cancel_join_thread()


def _key(cell):
    return tuple(sorted(cell.items()))


# -- Ray ------------------------------------------------------------------------


class RayUnavailable(RuntimeError):
    """Ray is not installed, or its cluster does not answer."""


def connect_ray(address):
    """Connects to the Ray cluster at `address` (`"auto"`: the one this
    machine runs) unless this process already is; returns the `ray` module.
    Raises `RayUnavailable` with the reason, before anything trains."""
    try:
        import ray
    except ImportError:
        raise RayUnavailable(
            'Ray is not installed: pip install "keras_initact[ray]"') from None
    if ray.is_initialized():
        return ray
    _probe(address)
    try:
        ray.init(address=address, log_to_driver=False,
                 runtime_env={"env_vars": WORKER_ENVIRONMENT})
    except Exception as error:  # Ray raises ConnectionError, ValueError, ...
        raise RayUnavailable(
            f"cannot reach the Ray cluster at --ray {address!r}: "
            f"{type(error).__name__}: {error}") from None
    return ray


def _probe(address, timeout=PROBE_TIMEOUT_S):
    """Raises `RayUnavailable` when `host:port` (or `ray://host:port`) does
    not accept a connection: `ray.init` would retry for a minute or more."""
    if not isinstance(address, str) or not address:
        raise RayUnavailable(f"--ray needs an address (host:port, "
                             f"ray://host:port or auto); received {address!r}")
    if address == "auto":
        return  # ray.init reads the local cluster's address, or fails fast
    host, _, port = address.split("://")[-1].rpartition(":")
    if not host or not port.isdigit():
        raise RayUnavailable(f"--ray {address!r} is not host:port, "
                             "ray://host:port or auto")
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as error:
        raise RayUnavailable(
            f"the Ray cluster at --ray {address!r} does not answer "
            f"({error}); is it running (ray start --head)?") from None


def run_ray(tasks, on_result, address="auto"):
    """Runs the tasks as Ray tasks (see the module docstring)."""
    ray = connect_ray(address)
    gpus = 1 if ray.cluster_resources().get("GPU", 0) else 0
    remote = ray.remote(num_cpus=1, num_gpus=gpus, max_retries=0)(run_task)
    pending = {remote.remote(task): task for task in tasks}
    while pending:
        done, _ = ray.wait(list(pending), num_returns=1)
        for reference in done:
            task = pending.pop(reference)
            try:
                result = ray.get(reference)
            except ray.exceptions.RayError as error:
                result = failed_result(
                    task, f"its Ray task failed: {type(error).__name__}: "
                    f"{str(error).splitlines()[0] if str(error) else ''}")
            on_result(result)
