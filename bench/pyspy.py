"""py-spy for bench/api.py: sample gunicorn workers under load and summarise where time went.

`--gil` samples only threads holding the GIL, so the summary is the CPU spent in Python, not
time waiting on PostgreSQL or Redis. py-spy needs ptrace rights (root, or CAP_SYS_PTRACE).
"""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY_SPY = ROOT / ".venv" / "bin" / "py-spy"


def record(pids: list[int], folder: str, seconds: int) -> list[subprocess.Popen]:
    """Start sampling each process for `seconds`; return the samplers (wait for them)."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    return [
        subprocess.Popen(
            [
                str(PY_SPY),
                "record",
                "--nonblocking",
                "--gil",  # only samples holding the GIL: CPU spent in Python, not waits
                f"--pid={pid}",
                f"--duration={seconds}",
                "--format=raw",
                f"--output={folder}/worker-{pid}.txt",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for pid in pids
    ]


def function_name(frame: str) -> str:
    """Return "name (file)" of a raw frame, paths relative to site-packages or the repository."""
    # py-spy's raw frames read "name (path/to/file.py:line)": keep name and file, not the line.
    name, _, where = frame.partition(" (")
    path = where.rsplit(":", 1)[0]
    for marker in ("site-packages/", str(ROOT) + "/"):
        path = path.split(marker)[-1]
    return f"{name} ({path})"


def print_summary(folder: str, top: int = 30) -> None:
    """Print the functions most samples were in (inclusive) and on top of (self)."""
    inclusive: dict[str, int] = {}
    own: dict[str, int] = {}
    total = 0
    for path in Path(folder).glob("worker-*.txt"):
        for line in path.read_text().splitlines():
            stack, _, samples = line.rpartition(" ")
            if not stack or not samples.isdigit():
                continue
            functions = [function_name(frame) for frame in stack.split(";")]
            total += int(samples)
            own[functions[-1]] = own.get(functions[-1], 0) + int(samples)
            for function in set(functions):
                inclusive[function] = inclusive.get(function, 0) + int(samples)
    if not total:
        print("profile: no samples (py-spy needs ptrace rights)")
        return
    for title, table in (("inclusive", inclusive), ("self", own)):
        print(f"profile of our workers, {title} (share of {total} samples):")
        for function, samples in sorted(table.items(), key=lambda item: -item[1])[:top]:
            print(f"  {samples / total:6.1%}  {function}")
