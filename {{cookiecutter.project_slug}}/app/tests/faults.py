"""A network between the app and PostgreSQL that tests can break on purpose.

`FaultyLink` is a TCP proxy on loopback. `freeze()` holds every byte in both directions
while keeping the connections open: what the app sees when the database server hangs or the
network silently drops packets. `cut()` closes every connection and refuses new ones: the
database is down. `restore()` heals both.
"""

import contextlib
import socket
import threading

from sqlalchemy import URL, make_url

CHUNK = 65536


class FaultyLink:
    def __init__(self, target: URL) -> None:
        self.target = (target.host or "127.0.0.1", target.port or 5432)
        self.open = threading.Event()  # cleared while frozen
        self.open.set()
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._serve()

    def url(self, url: URL | str) -> URL:
        """The same database, reached through this link."""
        return make_url(url).set(host="127.0.0.1", port=self.port)

    def freeze(self) -> None:
        self.open.clear()

    def cut(self) -> None:
        with self._lock:
            for sock in [self._listener, *self._sockets]:
                end(sock)
            self._sockets.clear()

    def restore(self) -> None:
        self.open.set()
        if self._listener.fileno() == -1:
            self._listener = socket.create_server(("127.0.0.1", self.port))
            self._serve()

    def close(self) -> None:
        self.open.set()
        self.cut()

    def _serve(self) -> None:
        threading.Thread(target=self._accept, args=(self._listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            server = socket.create_connection(self.target)
            with self._lock:
                self._sockets += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(CHUNK):
                self.open.wait()  # frozen: hold the bytes, keep the connection
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                end(sock)


def end(sock: socket.socket) -> None:
    """Close now: shutdown also wakes a thread blocked in accept() or recv() on it."""
    with contextlib.suppress(OSError):  # not connected, or already closed
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
