"""A TCP proxy in front of PostgreSQL that a test can cut: while cut, new connections are
refused and the ones open are dropped — the database as a server sees it in an outage."""

import contextlib
import socket
import threading


class DatabaseProxy:
    def __init__(self, target_host="127.0.0.1", target_port=5432):
        self.target = (target_host, target_port)
        self.port = None
        self._listener = None
        self._connections = set()
        self._lock = threading.Lock()

    def start(self):
        """Listen (again) on the proxy's port and forward every connection."""
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", self.port or 0))
        self.port = self._listener.getsockname()[1]
        self._listener.listen(64)
        threading.Thread(target=self._accept, args=(self._listener,), daemon=True).start()
        return self

    def cut(self):
        """Refuse new connections and drop the open ones."""
        listener, self._listener = self._listener, None
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        with self._lock:
            connections, self._connections = self._connections, set()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()

    def _accept(self, listener):
        while True:
            try:
                client, _address = listener.accept()
            except OSError:
                return  # cut
            try:
                server = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                if listener is not self._listener:
                    client.close()
                    server.close()
                    return
                self._connections.update((client, server))
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source, sink):
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
