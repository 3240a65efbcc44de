"""Real job clusters for the fault tests: `manage.py qcluster` processes on the test databases."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from django.conf import settings

from tests.live import database_url


class Cluster:
    """One `manage.py qcluster` process with its own log; `env` adds to the test's databases."""

    def __init__(self, name: str, log_dir: Path, env: dict[str, str]) -> None:
        self.name = name
        self.log_path = log_dir / f"qcluster-{name}.log"
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url("default"),
            "TELEMETRY_DATABASE_URL": database_url("telemetry"),
            "Q_LOG_LEVEL": "INFO",  # the tests count the tasks each cluster's log says it created
            **env,
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=settings.BASE_DIR,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        """SIGTERM: the cluster lets its workers finish their tasks and stops them."""
        if self.process is None:
            return
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=90)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)
        self._log.close()

    @property
    def log(self) -> str:
        return self.log_path.read_text()

    def tasks_processed(self) -> int:
        return self.log.count("Processed '")
