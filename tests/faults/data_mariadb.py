"""A MariaDB server of the test's own, which the test may kill: never the shared one at 3306.

Its data directory, socket, pid file and log live under a temporary directory, and it listens
on a free port of 127.0.0.1. `kill()` is SIGKILL, a crash: InnoDB recovers its committed
transactions when `start()` runs again on the same data directory.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import MySQLdb

from tests.live import free_port

SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin"])


def mariadbd_path() -> str | None:
    return shutil.which("mariadbd", path=SEARCH_PATH)


class PrivateMariaDB:
    def __init__(self, root: Path):
        self.root = root
        self.data = root / "data"
        self.socket = root / "mariadbd.sock"
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        as_root = ["--user=root"] if os.geteuid() == 0 else []  # mariadbd refuses root otherwise
        self.install_args = [
            shutil.which("mariadb-install-db", path=SEARCH_PATH) or "mariadb-install-db",
            "--no-defaults", f"--datadir={self.data}", "--auth-root-authentication-method=normal",
            "--skip-test-db", *as_root,
        ]  # fmt: skip
        self.server_args = [
            mariadbd_path() or "mariadbd", "--no-defaults", f"--datadir={self.data}",
            f"--port={self.port}", "--bind-address=127.0.0.1", f"--socket={self.socket}",
            f"--pid-file={root / 'mariadbd.pid'}", f"--log-error={root / 'mariadbd.err'}",
            "--innodb-buffer-pool-size=32M", "--skip-name-resolve", *as_root,
        ]  # fmt: skip

    def url(self, database: str) -> str:
        return f"mysql://root@127.0.0.1:{self.port}/{database}"

    def install(self, *databases: str) -> None:
        subprocess.run(self.install_args, check=True, capture_output=True, timeout=120)
        self.start()
        for name in databases:
            self.execute(f"CREATE DATABASE {name} CHARACTER SET utf8mb4")

    def start(self, timeout: float = 60) -> None:
        self.process = subprocess.Popen(self.server_args, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"mariadbd exited at start: {self.log_tail()}")
            try:
                self.execute("SELECT 1")
                return
            except MySQLdb.OperationalError:
                time.sleep(0.1)  # polling for readiness, not hiding a race
        raise AssertionError(f"mariadbd did not answer within {timeout} s: {self.log_tail()}")

    def kill(self) -> None:
        """A crash: SIGKILL, no shutdown, nothing flushed that was not committed."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def execute(self, sql: str, database: str | None = None) -> list[tuple]:
        connection = MySQLdb.connect(host="127.0.0.1", port=self.port, user="root",
                                     database=database or "", connect_timeout=5)  # fmt: skip
        try:
            cursor = connection.cursor()
            cursor.execute(sql)
            rows = list(cursor.fetchall())
            connection.commit()
            return rows
        finally:
            connection.close()

    def log_tail(self) -> str:
        log = self.root / "mariadbd.err"
        return log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"
