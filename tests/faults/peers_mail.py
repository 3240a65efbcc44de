"""A mail server that accepts a connection and then never says a word, not even its greeting."""

from __future__ import annotations

import socket
import threading


class HungSmtpServer:
    """Listens on loopback and holds every connection open in silence until closed."""

    def __init__(self, port: int = 0) -> None:
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", port))
        self.listener.listen()
        self.listener.settimeout(0.2)  # so the accepting thread sees close() soon
        self.closed = threading.Event()
        self.port = self.listener.getsockname()[1]
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.closed.is_set():
            try:
                connection, _address = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.held.append(connection)

    @property
    def connections(self) -> int:
        return len(self.held)

    def close(self) -> None:
        self.closed.set()
        self.thread.join()
        self.listener.close()
        for connection in self.held:
            connection.close()
