"""The one error a benchmark raises when it cannot run (as opposed to a figure missing its target)."""


class BenchError(RuntimeError):
    """The benchmark itself could not run: `make bench` exits non-zero."""
