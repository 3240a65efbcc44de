"""The progress bar of long management commands (import_legacy, telemetry_copy)."""

from __future__ import annotations

import time


class ProgressBar:
    """One line per table, redrawn in place on a terminal, every 10 % otherwise.

    Called as progress(table, done, total); the first call of a table (done=0) starts its
    clock, so the rows/s figure leaves out the time before its first chunk.
    """

    WIDTH = 30

    def __init__(self, stream):
        self.stream = stream
        self.tty = stream.isatty()
        self.started: dict[str, float] = {}
        self.shown: dict[str, int] = {}

    def __call__(self, table: str, done: int, total: int) -> None:
        started = self.started.setdefault(table, time.monotonic())
        share = done / total if total else 1.0
        tenth = int(share * 10)
        finished = done >= total
        if done == 0 and not finished:
            return  # the start of a table: only its clock starts
        if not self.tty and self.shown.get(table) == tenth and not finished:
            return
        self.shown[table] = tenth
        rate = done / max(time.monotonic() - started, 1e-6)
        filled = int(share * self.WIDTH)
        line = (
            f"{table:<20} [{'#' * filled}{'.' * (self.WIDTH - filled)}] "
            f"{done:>10,}/{total:<10,} {rate:>9,.0f} rows/s"
        )
        if self.tty:
            self.stream.write("\r" + line + ("\n" if finished else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

