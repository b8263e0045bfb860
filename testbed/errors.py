"""One exception family: every user-facing failure is a TestbedError with a readable message.

The CLI prints ``testbed: error: <message>`` and exits non-zero; it never shows a traceback
for these. A message says what went wrong, where, and what to do about it.
"""

from __future__ import annotations


class TestbedError(Exception):
    """Base class of every error the CLI reports as one readable message."""

    __test__ = False  # not a pytest test class despite the name


class ConfigError(TestbedError):
    """Bad user input: unknown program, size, ISA, machine, malformed profile or experiment."""


class ToolchainError(TestbedError):
    """A cross compiler is missing or a guest build failed."""


class GuestFault(TestbedError):
    """The emulated guest crashed: unmapped access, illegal instruction, unaligned access.

    ``output`` holds what the guest printed before it crashed."""

    output: str = ""


class BudgetExhausted(GuestFault):
    """The guest ran past its instruction budget (most likely it never ends)."""


class StreamError(TestbedError):
    """A migration stream was refused: damaged, truncated, foreign or inconsistent."""


def unknown_name(kind: str, name: str, valid: list[str] | tuple[str, ...]) -> ConfigError:
    """The standard error for an unknown name, listing the valid ones."""
    return ConfigError(f"unknown {kind} {name!r}; valid {kind}s: {', '.join(sorted(valid))}")


NO_POLL_POINT = "no poll-point in this program: add `#pragma mcl poll` in a loop, or lower --max-cost"


def output_tail(text: str, lines: int = 5, width: int = 300) -> str:
    """The last few lines a program printed, on one line (`` | `` between lines), for an
    error message: a program's own complaint is usually its last words."""
    tail = [line.strip() for line in text.splitlines() if line.strip()][-lines:]
    joined = " | ".join(tail)
    return joined if len(joined) <= width else "..." + joined[-width:]
