"""`make run`'s start-up: seconds from a fresh ./var to "Omniflow is up", HEAD against a baseline.

    .venv/bin/python bench/run_startup.py [--baseline main] [--rounds 5]

Clones both commits (sharing this checkout's virtualenv), then alternates fresh starts of
each one's scripts/run.sh on a free port, and prints both medians and their ratio. Each start
is stopped with SIGINT once up. The machine's load moves both alike: run it while it is
otherwise idle, and read the ratio rather than the seconds.
"""

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KEEP = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clone(ref: str, target: Path) -> Path:
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(target)], check=True)
    subprocess.run(["git", "checkout", "--quiet", ref], cwd=target, check=True)
    (target / ".venv").symlink_to(ROOT / ".venv")
    return target


def start_once(checkout: Path) -> float:
    """Start run.sh on a fresh ./var; return the seconds until it said it is up."""
    shutil.rmtree(checkout / "var", ignore_errors=True)
    env = {name: os.environ[name] for name in KEEP if name in os.environ}
    env["HOST_PORT"] = f"127.0.0.1:{free_port()}"
    log_path = checkout / "run.log"
    began = time.monotonic()
    with open(log_path, "w") as log:
        run = subprocess.Popen(
            ["scripts/run.sh"],
            cwd=checkout,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        while "Omniflow is up at" not in log_path.read_text():
            if run.poll() is not None or time.monotonic() - began > 300:
                raise RuntimeError(log_path.read_text()[-3000:])
            time.sleep(0.1)
        return time.monotonic() - began
    finally:
        os.killpg(run.pid, signal.SIGINT)
        try:
            run.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="main", help="git ref to compare with")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        checkouts = {
            "baseline": clone(args.baseline, Path(folder) / "baseline"),
            "head": clone("HEAD", Path(folder) / "head"),
        }
        seconds: dict[str, list[float]] = {name: [] for name in checkouts}
        for round_number in range(args.rounds):
            # Alternate which goes first, so a change of load hits both alike.
            order = list(checkouts) if round_number % 2 == 0 else list(reversed(checkouts))
            for name in order:
                seconds[name].append(start_once(checkouts[name]))
            print(
                f"round {round_number + 1}: "
                + ", ".join(f"{name} {seconds[name][-1]:.1f} s" for name in checkouts)
            )
    medians = {name: statistics.median(values) for name, values in seconds.items()}
    print(
        f"make run start-up, median of {args.rounds}: baseline ({args.baseline}) "
        f"{medians['baseline']:.1f} s, HEAD {medians['head']:.1f} s, "
        f"ratio HEAD/baseline {medians['head'] / medians['baseline']:.2f}"
    )


if __name__ == "__main__":
    main()
