"""Ctrl-C stops the real ``testbed`` command at once: exit status 130, one line, no
traceback, whether the guest is computing in C, making hypercalls, or the command is
running children."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from testbed.build import build_program

# Neither ends by itself within its budget: only the interrupt can stop them in time.
SPIN = "int main(void) { volatile unsigned i; for (i = 0; ; i++) { } return 0; }\n"
CHATTY = "#include <stdio.h>\nint main(void) { unsigned i; for (i = 0; ; i++) printf(\"%u\\n\", i); return 0; }\n"


@dataclass
class Interrupted:
    returncode: int
    stderr: str
    took: float  # seconds from SIGINT to the end of the command
    group: int  # its process group (its children's too)


def interrupt_after(argv: list[str], seconds: float, group: bool = False) -> Interrupted:
    """Start ``testbed ARGV``, send SIGINT after ``seconds`` (to its whole process group,
    like a terminal's Ctrl-C, if ``group``) and wait for it to end."""
    proc = subprocess.Popen([sys.executable, "-m", "testbed", *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ}, start_new_session=True)
    time.sleep(seconds)
    sent = time.monotonic()
    if group:
        os.killpg(proc.pid, signal.SIGINT)
    else:
        proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"testbed {' '.join(argv)} kept running after SIGINT")
    return Interrupted(proc.returncode, err, time.monotonic() - sent, proc.pid)


def assert_interrupted(run: Interrupted) -> None:
    assert run.returncode == 130, (run.returncode, run.stderr)
    assert "Traceback" not in run.stderr and "Exception ignored" not in run.stderr, run.stderr
    assert run.stderr.strip().splitlines() == ["testbed: interrupted"], run.stderr
    assert run.took < 5, run.took


@pytest.mark.parametrize("text", [SPIN, CHATTY], ids=["compute-loop", "hypercall-loop"])
def test_ctrl_c_stops_an_emulated_exec(text: str, tmp_path: Path) -> None:
    source = tmp_path / "forever.c"
    source.write_text(text)
    build_program(source.stem, [source], "mipsel")  # built already: the signal lands in the emulation
    assert_interrupted(interrupt_after(["exec", str(source), "--arch", "mipsel"], 2.5))


# From main() on (Python's own start-up, about 0.15 s, keeps Python's default handler).
@pytest.mark.parametrize("seconds", [0.6, 1.2, 2.0])
def test_ctrl_c_at_any_moment_of_a_migration(seconds: float) -> None:
    assert_interrupted(interrupt_after(["run", "linpack", "--size", "500"], seconds))


def test_ctrl_c_to_the_process_group_of_a_check_leaves_no_child() -> None:
    run = interrupt_after(["check", "--quick", "--program", "bitonic", "--jobs", "2"], 3.0, group=True)
    assert_interrupted(run)
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        try:
            os.killpg(run.group, 0)
        except ProcessLookupError:
            return  # every process of the command's group has ended
        time.sleep(0.1)
    pytest.fail("a child of the interrupted check is still running")
