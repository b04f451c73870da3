import socket
import subprocess
import sys

import pytest


def test_tcp_connect_is_refused_in_tests():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    with pytest.raises(RuntimeError, match="network"):
        s.connect(("192.0.2.1", 80))  # TEST-NET-1: never this machine
    s.close()


def test_loopback_is_this_machine_and_allowed():
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
        peer, _ = server.accept()
        client.sendall(b"hello")
        assert peer.recv(5) == b"hello"
        peer.close()
    server.close()


def test_name_lookup_is_refused_in_tests():
    with pytest.raises(RuntimeError, match="network"):
        socket.getaddrinfo("example.org", 443)


def test_child_pythons_are_blocked_too():
    code = "import socket; socket.create_connection(('192.0.2.1', 80))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode != 0
    assert "tests must stay offline" in proc.stderr


def test_other_ways_out_are_refused_too():
    with pytest.raises(RuntimeError, match="network"):
        socket.gethostbyname("example.org")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        with pytest.raises(RuntimeError, match="network"):
            udp.sendmsg([b"x"], [], 0, ("192.0.2.1", 9))
        with pytest.raises(RuntimeError, match="network"):
            udp.sendto(b"x", ("192.0.2.1", 9))
