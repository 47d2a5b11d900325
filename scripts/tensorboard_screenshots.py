"""Screenshots of LayerStats in TensorBoard, as a person sees them.

Trains `examples/deep_model_in_tensorboard.py` (a depth-100 factory MLP,
201 layers, with a dying and an exploding layer planted) and a study of 8
runs (`keras-initact compare` on digits: 2 initializers x 2 activations x
2 depths), starts `tensorboard --logdir` on 127.0.0.1 for each, takes
screenshots of its Time Series and Images views in headless Chromium with
the brief's flags, and stops it.

    apt-get install -y chromium          # Debian's package
    python scripts/tensorboard_screenshots.py --out-dir docs

Writes `tensorboard_deep_time_series.png`, `tensorboard_deep_images.png`
and `tensorboard_study_time_series.png` to `--out-dir`.
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
STUDY = ["--dataset", "digits", "--inits", "he_normal,glorot_uniform",
         "--activations", "relu,tanh", "--depths", "3,20", "--seeds", "0",
         "--epochs", "3", "--width", "64", "--no-export", "--no-progress"]
SHOTS = {  # file: (log folder, view, window height)
    "tensorboard_deep_time_series.png": ("deep", "#timeseries", 2000),
    "tensorboard_deep_images.png": ("deep", "#images", 1200),
    "tensorboard_study_time_series.png": ("study/logs", "#timeseries", 2000),
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
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-webgl",  # else several charts of a study stay blank
             "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
             f"--window-size={width},{height}", "--virtual-time-budget=25000",
             f"--screenshot={path}", url],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            timeout=240)


def train(log_root):
    deep = os.path.join(log_root, "deep")
    if not os.path.isdir(deep):
        subprocess.run([sys.executable, os.path.join(
            ROOT, "examples", "deep_model_in_tensorboard.py"), "--log-dir",
            deep, "--epochs", "3"], check=True)
    study = os.path.join(log_root, "study")
    if not os.path.isdir(os.path.join(study, "logs")):
        subprocess.run([sys.executable, "-m", "keras_initact", "compare",
                        *STUDY, "--output-dir", study], check=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", default=os.path.join(ROOT, "docs"))
    parser.add_argument("--log-dir", default=None,
                        help="train into this folder (default: a temporary "
                             "one); what it already holds is shown as it is")
    parser.add_argument("--chromium", default=shutil.which("chromium")
                        or shutil.which("chromium-browser"))
    parser.add_argument("--width", type=int, default=1600)
    args = parser.parse_args()
    if not args.chromium:
        parser.error("no chromium on PATH: apt-get install -y chromium")
    log_root = args.log_dir or tempfile.mkdtemp(prefix="layer_stats_")
    os.makedirs(args.out_dir, exist_ok=True)
    try:
        train(log_root)
        for name, (folder, view, height) in SHOTS.items():
            port = free_port()
            server = subprocess.Popen(
                [sys.executable, "-m", "tensorboard.main", "--logdir",
                 os.path.join(log_root, folder), "--host", "127.0.0.1",
                 "--port", str(port)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                base = f"http://127.0.0.1:{port}/"
                wait_for(base + "data/runs", server)
                path = os.path.join(args.out_dir, name)
                screenshot(args.chromium, base + view, path, args.width,
                           height)
                print(f"wrote {path}")
            finally:
                server.terminate()
                server.wait(timeout=30)
    finally:
        if args.log_dir is None:
            shutil.rmtree(log_root, ignore_errors=True)


if __name__ == "__main__":
    main()
