"""Blocks network connections in test processes and in the subprocesses they start.

conftest imports it; it is also on PYTHONPATH for child Pythons, which import
`sitecustomize` at start-up. Unix sockets stay allowed (Qt and multiprocessing use them).
"""

import socket

_ALLOWED = {getattr(socket, "AF_UNIX", None)}


class NetworkBlockedError(RuntimeError):
    pass


def _refuse(*args, **kwargs):
    raise NetworkBlockedError("a test tried to reach the network; tests must stay offline")


def _guard(original):
    def guarded(self, *args, **kwargs):
        if self.family not in _ALLOWED:
            _refuse()
        return original(self, *args, **kwargs)

    return guarded


def install():
    if getattr(socket, "_writer_blocked", False):
        return
    for name in ("connect", "connect_ex", "sendto"):
        setattr(socket.socket, name, _guard(getattr(socket.socket, name)))
    socket.getaddrinfo = _refuse
    socket.create_connection = _refuse
    socket._writer_blocked = True


install()
