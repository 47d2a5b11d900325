"""Screenshots of LayerStats in TensorBoard, as a person sees them.

Trains `examples/tensorboard_callbacks.py`'s two MLPs (a healthy He
initialization and one whose weights are far too small), starts
`tensorboard --logdir` on 127.0.0.1, takes screenshots of its Time Series,
Images and Custom Scalars views in headless Chromium, and stops it.

    apt-get install -y chromium          # Debian's package
    python scripts/tensorboard_screenshots.py --out-dir docs

Writes `tensorboard_time_series.png`, `tensorboard_images.png` and
`tensorboard_custom_scalars.png` to `--out-dir`.
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VIEWS = {  # file: (view, window height)
    "tensorboard_time_series.png": ("#timeseries", 2000),
    "tensorboard_images.png": ("#images", 1100),
    "tensorboard_custom_scalars.png": ("#custom_scalars", 2000),
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url, process, seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("tensorboard exited")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(1)
    raise RuntimeError(f"{url} did not answer in {seconds} s")


def screenshot(chromium, url, path, width, height):
    subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-webgl",  # charts drawn on a canvas, not blank
         "--hide-scrollbars", f"--window-size={width},{height}",
         "--virtual-time-budget=20000", f"--screenshot={path}", url],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        timeout=180)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", default=os.path.join(ROOT, "docs"))
    parser.add_argument("--log-dir", default=None,
                        help="train into this folder (default: a temporary "
                             "one); an existing one is shown as it is")
    parser.add_argument("--chromium", default=shutil.which("chromium")
                        or shutil.which("chromium-browser"))
    parser.add_argument("--width", type=int, default=1600)
    args = parser.parse_args()
    if not args.chromium:
        parser.error("no chromium on PATH: apt-get install -y chromium")
    log_dir = args.log_dir or tempfile.mkdtemp(prefix="layer_stats_")
    if not os.path.isdir(log_dir) or not os.listdir(log_dir):
        subprocess.run([sys.executable,
                        os.path.join(ROOT, "examples", "tensorboard_callbacks.py"),
                        "--log-dir", log_dir], check=True)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "tensorboard.main", "--logdir", log_dir,
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}/"
        wait_for(base + "data/runs", server)
        os.makedirs(args.out_dir, exist_ok=True)
        for name, (view, height) in VIEWS.items():
            path = os.path.join(args.out_dir, name)
            screenshot(args.chromium, base + view, path, args.width, height)
            print(f"wrote {path}")
    finally:
        server.terminate()
        server.wait(timeout=30)
        if args.log_dir is None:
            shutil.rmtree(log_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
