"""A web page the user asked for, downloaded from a server on this machine (loopback)."""

import socket
import subprocess
import sys
import threading
import time

import pytest

from writer_app.documents.model import DocumentError
from writer_app.documents.web import DownloadCancelled, load_web_page
from writer_app.net import is_web_address, tls_context

from .loopback import free_port


def test_web_addresses():
    assert is_web_address("https://example.org/a?b=c")
    assert is_web_address(" http://127.0.0.1:8000/ ")
    assert not is_web_address("file:///tmp/a.html")
    assert not is_web_address("example.org")
    assert not is_web_address("https://")


def test_a_page_is_read_like_a_file(web_server):
    doc = load_web_page(web_server + "harbour.html")
    assert doc.path == web_server + "harbour.html"
    assert doc.type == "html"
    assert doc.words > 20
    assert "harbour" in doc.text().lower()


def test_the_type_comes_from_the_server_when_the_address_has_no_suffix(web_server):
    doc = load_web_page(web_server + "report")
    assert doc.type == "pdf"
    assert "harbour" in doc.text().lower()


def test_a_missing_page_names_the_address_and_the_answer(web_server):
    with pytest.raises(DocumentError) as err:
        load_web_page(web_server + "missing.html")
    assert str(err.value) == f"{web_server}missing.html: the server answered 404 File not found"


def test_a_page_without_text_names_the_address_not_the_download(web_server):
    with pytest.raises(DocumentError, match=r"^http://127\.0\.0\.1:\d+/empty\.html: has no "
                                            r"text"):
        load_web_page(web_server + "empty.html")


def test_a_page_over_the_cap_is_refused_before_it_downloads(web_server):
    with pytest.raises(DocumentError, match="60 MiB, over the 50 MiB cap"):
        load_web_page(web_server + "huge")


def test_nobody_answering_is_a_message_not_a_crash():
    port = free_port()
    with pytest.raises(DocumentError, match=rf"127\.0\.0\.1:{port}/: could not be downloaded"
                                            r" \(.*refused"):
        load_web_page(f"http://127.0.0.1:{port}/")


def test_not_a_web_address():
    with pytest.raises(DocumentError, match="is not a web address"):
        load_web_page("ftp://example.org/file.txt")


def test_a_download_stops_when_cancelled(web_server):
    stop = threading.Event()
    threading.Timer(0.5, stop.set).start()
    start = time.monotonic()
    with pytest.raises(DownloadCancelled, match="slow: the download was cancelled"):
        load_web_page(web_server + "slow", stop.is_set)
    assert time.monotonic() - start < 5


def test_the_cli_reads_a_web_page(web_server):
    out = subprocess.run([sys.executable, "-m", "writer_app", "extract",
                          web_server + "harbour.html"], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert "harbour" in out.stdout.lower()
    bad = subprocess.run([sys.executable, "-m", "writer_app", "extract",
                          web_server + "missing.html"], capture_output=True, text=True,
                         timeout=60)
    assert bad.returncode == 1
    assert bad.stderr.strip().endswith("missing.html: the server answered 404 File not found")


def test_certificates_come_from_certifi_when_the_system_offers_none(monkeypatch):
    assert tls_context().cert_store_stats()["x509_ca"] > 0
    monkeypatch.setenv("SSL_CERT_FILE", "/nonexistent/cert.pem")
    monkeypatch.setenv("SSL_CERT_DIR", "/nonexistent/certs")
    assert tls_context().cert_store_stats()["x509_ca"] > 100


@pytest.mark.parametrize("page", ["trickle", "silent"])
def test_stop_cuts_a_download_that_waits_on_the_server(web_server, page):
    stop = threading.Event()
    threading.Timer(0.5, stop.set).start()
    start = time.monotonic()
    with pytest.raises(DownloadCancelled):
        load_web_page(web_server + page, stop.is_set)
    assert time.monotonic() - start < 3


@pytest.mark.parametrize("address", ["wiki/Гавань", "wiki/%D0%93%D0%B0%D0%B2%D0%B0%D0%BD%D1%8C",
                                     "a page.html", "a%20page.html"])
def test_addresses_with_spaces_and_other_scripts(web_server, address):
    assert "harbour" in load_web_page(web_server + address).text().lower()


def test_without_a_content_type_the_address_says_what_it_is(web_server):
    doc = load_web_page(web_server + "notes.md")
    assert doc.type == "markdown" and doc.title == "Notes"


def test_an_image_is_not_read_as_a_page(web_server):
    with pytest.raises(DocumentError, match=r"/picture: is image/png content, not a document "
                                            r"Writer can read$"):
        load_web_page(web_server + "picture")


def test_a_page_shorter_than_announced(web_server):
    with pytest.raises(DocumentError, match=r"/short: the connection closed after [\d,]+ of "
                                            r"[\d,]+ bytes$"):
        load_web_page(web_server + "short")


def test_a_redirect_away_from_the_web_is_refused(web_server):
    with pytest.raises(DocumentError, match=r"to-ftp: the server answered 302 redirect to "
                                            r"'ftp://127\.0\.0\.1:1/file\.txt' refused"):
        load_web_page(web_server + "to-ftp")


def test_a_server_that_speaks_no_http(tmp_path):
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def answer():
        conn, _ = server.accept()
        conn.recv(4096)
        conn.sendall(b"HELLO THERE\r\n\r\n")
        conn.close()

    threading.Thread(target=answer, daemon=True).start()
    with pytest.raises(DocumentError, match=r"did not answer as a web server does "
                                            r"\(BadStatusLine\)$"):
        load_web_page(f"http://127.0.0.1:{port}/page.html")
    server.close()
