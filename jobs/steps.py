"""Step tracking: a job says which step it is in, so a failure can say where it happened.

    with job_step("reading counters"):
        ...

The runner (jobs/runner.py) reads the innermost step that was open when an exception left
the job. Outside a recorded run the steps cost nothing and record nothing.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

_open_steps: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar(
    "job_open_steps", default=()
)
_failed_step: contextvars.ContextVar[str] = contextvars.ContextVar("job_failed_step", default="")
# Called with the step path on entering a step: the runner stores it on the JobRun, so a run
# that is killed (cluster timeout, crash) still shows the step it was in.
_on_enter: contextvars.ContextVar = contextvars.ContextVar("job_step_on_enter", default=None)


@contextmanager
def job_step(name: str) -> Iterator[None]:
    token = _open_steps.set((*_open_steps.get(), name))
    if (on_enter := _on_enter.get()) is not None:
        on_enter(" > ".join(_open_steps.get()))
    try:
        yield
    except BaseException:
        # Keep the innermost step: outer steps see the exception after it was recorded.
        if not _failed_step.get():
            _failed_step.set(" > ".join(_open_steps.get()))
        raise
    finally:
        _open_steps.reset(token)


def failed_step() -> str:
    return _failed_step.get()


def steps_reset(*, on_enter=None) -> None:
    _failed_step.set("")
    _open_steps.set(())
    _on_enter.set(on_enter)
