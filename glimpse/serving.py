"""Serving a Glimpse app: blocking, in a background thread, or inline in Jupyter."""
from __future__ import annotations

import errno
import logging
import socket
import sys
import threading

from explain_core.errors import GlimpseError

JUPYTER_PACKAGES = "pip install ipykernel nest_asyncio retrying"


class Running:
    """A Glimpse page being served: .url, .app, .service; stop() ends it (idempotent)."""

    def __init__(self, app, url: str, server=None, thread: threading.Thread | None = None, serving: bool = False):
        self.app, self.url, self._server, self._thread, self._serving = app, url, server, thread, serving
        self.service = getattr(app, "glimpse_service", None)

    def stop(self) -> None:
        """Once this returns, the port refuses connections."""
        server, self._server = self._server, None
        if server is None:
            return
        listener = _own_handle(server.socket)
        try:
            if self._serving:              # serve_forever runs in another thread: ask it to end
                server.shutdown()
            if self._thread is not None:
                self._thread.join(10)
            server.server_close()
        finally:
            _stop_listening(listener)

    def __repr__(self) -> str:
        return f"<Glimpse at {self.url}>"


def _own_handle(sock: socket.socket) -> socket.socket | None:
    """A second descriptor of the listening socket, so stop() can end the listening itself.

    In Jupyter, Dash's thread serves, and when serve_forever ends werkzeug closes the
    socket from that thread too. When that thread wins the close, server_close() here
    finds it closed and returns while the thread's close(2) may not have run yet (a loaded
    machine); a connection made then was queued and reset (ConnectionResetError), not refused.
    """
    try:
        return sock.dup()
    except OSError:                        # already closed: the serving thread failed
        return None


def _stop_listening(listener: socket.socket | None) -> None:
    """shutdown() takes the socket out of LISTEN at once, whichever descriptor closes last."""
    if listener is None:
        return
    try:
        listener.shutdown(socket.SHUT_RDWR)
    except OSError:                        # not connected / already down
        pass
    listener.close()


def serve(app, host: str, port: int, block: bool, jupyter: bool | None) -> Running:
    from dashboard import security

    security.warn_if_exposed([(host, port)])   # loud when bound beyond this machine without a login
    if jupyter is None:
        jupyter = in_notebook()
    if jupyter:
        return _in_jupyter(app, host, port)
    server = _bind(app, host, port, security.QuietRequestHandler)
    quiet = logging.getLogger("werkzeug")
    if quiet.level == logging.NOTSET:       # not one line per request, unless the caller set it up
        quiet.setLevel(logging.WARNING)
    port = server.socket.getsockname()[1]       # the free one chosen for port=0
    running = Running(app, url_for(host, port), server)
    if not block:
        running._thread = threading.Thread(target=server.serve_forever, name="glimpse-server", daemon=True)
        running._serving = True
        running._thread.start()
        return running
    print(f"Glimpse is serving on {running.url} (Ctrl+C stops it)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()
    return running


def _bind(app, host: str, port: int, handler):
    """A threaded werkzeug server on a socket bound here: werkzeug itself would print and
    sys.exit(1) on a taken port."""
    from werkzeug.serving import make_server

    sock = listening_socket(host, port)
    try:
        return make_server(host, sock.getsockname()[1], app.server, threaded=True, request_handler=handler,
                           fd=sock.fileno())
    finally:
        sock.close()                      # werkzeug serves on its own duplicate


def listening_socket(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError as e:
        sock.close()
        if e.errno == errno.EADDRINUSE:
            raise GlimpseError(f"Port {port} on {host} is already in use (another Glimpse?): pass another "
                               "port=, or port=0 for a free one.") from None
        raise GlimpseError(f"Cannot listen on {host}:{port}: {e.strerror or e}.") from None
    return sock


def url_for(host: str, port: int) -> str:
    if host in ("0.0.0.0", ""):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"http://{'[' + host + ']' if ':' in host else host}:{port}/"


def in_notebook() -> bool:
    """True inside a Jupyter kernel (or Colab), where the page can show in the cell."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    return shell is not None and (type(shell).__name__ == "ZMQInteractiveShell" or "google.colab" in sys.modules)


def _in_jupyter(app, host: str, port: int) -> Running:
    """Dash's Jupyter support: a server thread and the page in the output cell; returns at once."""
    from dash import jupyter_dash

    if not jupyter_dash.active:
        raise GlimpseError("Showing Glimpse inside a notebook needs a Jupyter kernel and Dash's notebook helpers "
                           f"({JUPYTER_PACKAGES}); or pass jupyter=False to serve it on its own port.")
    if port == 0:
        with listening_socket(host, 0) as sock:
            port = sock.getsockname()[1]
    jupyter_dash.run_app(app, mode="inline", host=host, port=port)
    return Running(app, url_for(host, port), jupyter_dash._servers.get((host, port)), serving=True)
