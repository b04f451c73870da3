"""Blocks network connections in test processes and in the subprocesses they start.

conftest imports it; it is also on PYTHONPATH for child Pythons, which import
`sitecustomize` at start-up. Unix sockets stay allowed (Qt and multiprocessing use them), and
so does loopback: a test may start a server on this machine (the web page download).
"""

import socket

_ALLOWED = {getattr(socket, "AF_UNIX", None)}
# This machine is not the network: tests may talk to servers they start on loopback.
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


class NetworkBlockedError(RuntimeError):
    pass


def _refuse(*args, **kwargs):
    raise NetworkBlockedError("a test tried to reach the network; tests must stay offline")


def _is_loopback(address):
    return isinstance(address, tuple) and bool(address) and address[0] in _LOOPBACK


def _guard(original):
    def guarded(self, *args, **kwargs):
        # connect(address), sendto(data[, flags], address), sendmsg(buffers[, ancdata[,
        # flags[, address]]]): the address is last. A sendmsg without one goes where the
        # socket is connected, and connect is guarded.
        if original.__name__ == "sendmsg" and len(args) < 4:
            return original(self, *args, **kwargs)
        address = args[-1] if args else None
        if self.family not in _ALLOWED and not _is_loopback(address):
            _refuse()
        return original(self, *args, **kwargs)

    return guarded


def _loopback_only(original):
    def guarded(host, *args, **kwargs):
        if host not in _LOOPBACK and not _is_loopback(host):
            _refuse()
        return original(host, *args, **kwargs)

    return guarded


def install():
    if getattr(socket, "_writer_blocked", False):
        return
    for name in ("connect", "connect_ex", "sendto", "sendmsg"):
        setattr(socket.socket, name, _guard(getattr(socket.socket, name)))
    for name in ("getaddrinfo", "create_connection", "gethostbyname", "gethostbyname_ex",
                 "gethostbyaddr"):
        setattr(socket, name, _loopback_only(getattr(socket, name)))
    socket._writer_blocked = True


install()
