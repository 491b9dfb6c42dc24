"""This repository as a new operator gets it: its root, a clone of HEAD, a bare environment."""

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def git_clone(target: Path) -> Path:
    """Clone this repository's committed HEAD into `target`: what CI and a new operator get.

    Uncommitted changes are not in it, and neither is anything ignored (./var, .venv).
    """
    subprocess.run(
        ["git", "clone", "--quiet", str(ROOT), str(target)],
        check=True,
        capture_output=True,
        text=True,
    )
    return target


def bare_env(**extra: str) -> dict[str, str]:
    """An environment with nothing of the test run's: no DATABASE_URL, no Django settings."""
    keep = {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR"}
    env = {key: value for key, value in os.environ.items() if key in keep}
    env.update(extra)
    return env
