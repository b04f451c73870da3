import socket
import subprocess
import sys

import pytest


def test_tcp_connect_is_refused_in_tests():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    with pytest.raises(RuntimeError, match="network"):
        s.connect(("127.0.0.1", 9))
    s.close()


def test_name_lookup_is_refused_in_tests():
    with pytest.raises(RuntimeError, match="network"):
        socket.getaddrinfo("example.org", 443)


def test_child_pythons_are_blocked_too():
    code = "import socket; socket.create_connection(('127.0.0.1', 9))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode != 0
    assert "tests must stay offline" in proc.stderr
