"""`make run` in a fresh clone, typed into a terminal as a person does, and driven over HTTP.

Shared by tests/production/test_make_run.py (in `make test`) and test_run_soak.py (`make
soak-run`). The clone shares this checkout's virtualenv: installing is the fresh-install
test's job.
"""

import contextlib
import fcntl
import os
import pty
import re
import shutil
import signal
import subprocess
import termios
import threading
import time
from pathlib import Path

import requests

from tests.support.checkout import ROOT, bare_env, git_clone
from tests.support.processes import free_port, wait_for

CTRL_C = b"\x03"
# Ctrl-C stops the worker with a warm shutdown: about two leases at most (see test_make_run).
STOP_BOUND_SECONDS = 30
DEMO_EMAIL, DEMO_PASSWORD = "admin@example.com", "omniflow-demo"
# What a crash or a lock conflict looks like in the output of web, worker or beat.
TROUBLE = ("database is locked", "Unrecoverable error", "The worker stopped", "Traceback")


def make_clone(target: Path) -> Path:
    clone = git_clone(target)
    (clone / ".venv").symlink_to(ROOT / ".venv")
    return clone


# Signals a person's shell leaves at their defaults for what it starts.
_TERMINAL_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT}


def _take_terminal() -> None:
    # In the child, after setsid(): the pseudo-terminal on stdin becomes the controlling one,
    # so that Ctrl-C typed into it is the signal a person's terminal sends.
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    # An ignored or blocked SIGINT is inherited through exec, and bash cannot trap a signal
    # ignored on entry: whatever the test process was left with by earlier tests, make starts
    # with the terminal signals a person's shell gives it.
    for number in _TERMINAL_SIGNALS:
        signal.signal(number, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _TERMINAL_SIGNALS)


class MakeRun:
    """One `make run` under a pseudo-terminal, its output copied to `log_path`."""

    def __init__(self, clone: Path, log_path: Path, **env: str) -> None:
        self.clone = clone
        self.log_path = log_path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.env = bare_env(HOST_PORT=f"127.0.0.1:{self.port}", **env)
        self.process: subprocess.Popen | None = None
        self.http = requests.Session()
        self.started = time.monotonic()

    def start(self, *, fresh: bool = True) -> "MakeRun":
        if fresh:
            shutil.rmtree(self.clone / "var", ignore_errors=True)
        self.master, terminal = pty.openpty()
        # -o: the clone's requirements are newer than the shared venv's stamp; do not reinstall.
        self.process = subprocess.Popen(
            ["make", "--no-print-directory", "-o", ".venv/.installed", "run"],
            cwd=self.clone,
            env=self.env,
            stdin=terminal,
            stdout=terminal,
            stderr=terminal,
            start_new_session=True,
            preexec_fn=_take_terminal,  # noqa: PLW1509 - single-threaded enough: no locks taken
        )
        os.close(terminal)
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed by the reader thread
        self._reader = threading.Thread(target=self._copy_output, daemon=True)
        self._reader.start()
        self.started = time.monotonic()
        return self

    def _copy_output(self) -> None:
        # Read all the time: a full terminal buffer would block web, worker and beat.
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                break
            if not chunk:
                break
            self._log.write(chunk)
            self._log.flush()
        self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_up(self, timeout: float = 180) -> float:
        """Wait for "Omniflow is up at …"; return the seconds it took."""

        def up():
            assert self.process.poll() is None, self.log()[-4000:]
            return "Omniflow is up at" in self.log()

        wait_for(up, timeout=timeout, interval=0.2)
        return time.monotonic() - self.started

    def demo_key(self) -> str:
        return re.search(r"Demo API key \(full access\): (\S+)", self.log()).group(1)

    def worker_pids(self) -> list[int]:
        return [int(pid) for pid in re.findall(r"Worker started \(pid (\d+)\)", self.log())]

    def manage(self, *args: str) -> str:
        return subprocess.run(
            [str(self.clone / ".venv/bin/python"), "manage.py", *args],
            cwd=self.clone,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    def api_key(self, *, rate: str) -> str:
        """Return a new full-access key of the demo workspace with a rate of its own."""
        output = self.manage(
            "create_api_key",
            "--workspace",
            "demo",
            "--name",
            f"test {rate}",
            "--full-access",
            "--rate",
            rate,
        )
        return output.strip().splitlines()[-1]

    def api(self, method: str, path: str, key: str, json: dict | None = None):
        return self.http.request(
            method,
            f"{self.url}api/v1/{path}",
            json=json,
            headers={"Authorization": f"Bearer {key}"},
            timeout=30,
        )

    def log_in(self) -> requests.Session:
        browser = requests.Session()
        browser.get(f"{self.url}login/", timeout=10)
        response = browser.post(
            f"{self.url}login/",
            data={
                "username": DEMO_EMAIL,
                "password": DEMO_PASSWORD,
                "csrfmiddlewaretoken": browser.cookies["csrftoken"],
            },
            headers={"Referer": f"{self.url}login/"},
            timeout=10,
        )
        assert response.status_code == 200 and "/login/" not in response.url, response.text
        return browser

    def ctrl_c(self) -> int:
        """Type Ctrl-C into the terminal; return make's exit status."""
        os.write(self.master, CTRL_C)
        try:
            return self.process.wait(timeout=STOP_BOUND_SECONDS)
        except subprocess.TimeoutExpired:
            # What each process was doing is in its output: say it, or the failure is a mystery.
            # (the periodic sweep's lines left out: they would fill it)
            lines = [line for line in self.log().splitlines() if "sweep" not in line]
            raise AssertionError(
                f"make run still running {STOP_BOUND_SECONDS} s after Ctrl-C "
                f"({self._signal_state()}); its output ends:\n" + "\n".join(lines[-80:])
            ) from None

    def _signal_state(self) -> str:
        """The ignored and blocked signal masks of the terminal's foreground process."""
        try:
            status = Path(f"/proc/{os.tcgetpgrp(self.master)}/status").read_text()
        except OSError as error:
            return f"no foreground process: {error}"
        return ", ".join(
            line for line in status.splitlines() if line.startswith(("SigIgn", "SigBlk"))
        )

    def kill(self) -> None:
        """Leave nothing running whatever state the run is in (a failed test's clean-up)."""
        if self.process and self.process.poll() is None:
            # The terminal's foreground group: the job run.sh started its supervisor in.
            with contextlib.suppress(OSError):
                os.killpg(os.tcgetpgrp(self.master), signal.SIGKILL)
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        for pid in self.worker_pids() + self.web_pids():
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.close(self.master)

    def web_pids(self) -> list[int]:
        return [int(pid) for pid in re.findall(r"Web server started \(pid (\d+)\)", self.log())]

    def alive(self) -> list[int]:
        """Return the worker and web sessions that still have a running (non-zombie) process."""
        groups = set(self.worker_pids() + self.web_pids())
        running = set()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                # pid (comm) state ppid pgrp …; comm may hold spaces, so split after its ")".
                state, _ppid, group = stat.read_text().rsplit(")", 1)[1].split()[:3]
            except OSError:
                continue  # it ended while we looked
            if int(group) in groups and state != "Z":
                running.add(int(group))
        return sorted(running)


def troubles(log: str) -> list[str]:
    """Return the lines of `log` that show a crash or a lock conflict."""
    return [line for line in log.splitlines() if any(word in line for word in TROUBLE)]
