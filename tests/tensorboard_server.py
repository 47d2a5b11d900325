"""A real TensorBoard for the tests: started on 127.0.0.1 on a free port,
read over HTTP the way its own frontend reads it, stopped afterwards."""

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(base, route, **query):
    """The JSON (or, for images, the bytes) TensorBoard answers `route`."""
    url = f"{base}{route}"
    if query:
        url += "?" + urllib.parse.urlencode(query)
    with urllib.request.urlopen(url, timeout=60) as response:
        body = response.read()
    return body if route.endswith("individualImage") else json.loads(body)


@contextlib.contextmanager
def serve(log_dir, expected_runs=(), seconds=180):
    """`tensorboard --logdir log_dir` on 127.0.0.1; yields its base URL once
    it lists every run of `expected_runs`."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tensorboard.main", "--logdir", str(log_dir),
         "--host", "127.0.0.1", "--port", str(port), "--load_fast", "false",
         "--reload_interval", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + seconds
        while True:
            try:
                if set(expected_runs) <= set(get(base, "/data/runs")):
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("tensorboard did not come up")
            time.sleep(1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def lines_per_card(base):
    """`{tag: number of runs}` for every scalar tag: a Time Series card per
    tag draws a line per run."""
    counts = {}
    for run, tags in get(base, "/data/plugin/scalars/tags").items():
        for tag in tags:
            counts[tag] = counts.get(tag, 0) + 1
    return counts


def layer_index(base, run):
    """The text of a `LayerStats` run's `layers` index, as TensorBoard
    renders it (HTML)."""
    entries = get(base, "/data/plugin/text/text", run=run, tag="layers")
    return entries[-1]["text"]
