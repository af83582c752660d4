"""The kernel's reader of a governed result (`ServiceClient.query_arrow`) never takes a cut-off stream for
the whole result.

A query that fails after its first rows were sent ends its HTTP answer cleanly (the status was sent with the
first rows), and Arrow's stream reader would return the rows so far as if they were all. The reader requires
the stream's end marker. A real HTTP server in this process plays the service: it sends a whole stream, or the
same stream without its last batch and end marker, or a chunk cut in the middle."""

from __future__ import annotations

import contextlib
import http.server
import threading

import pyarrow as pa
import pytest

from aios_workbench.core.errors import ConnectorError
from aios_workbench.kernel.client import ServiceClient

TABLE = pa.table({"id": list(range(100_000)), "name": [f"supplier {i}" for i in range(100_000)]})


def stream_bytes(table: pa.Table, *, batches: int | None = None, end_marker: bool = True) -> bytes:
    sink = pa.BufferOutputStream()
    writer = pa.ipc.new_stream(sink, table.schema)
    for batch in table.to_batches(max_chunksize=25_000)[:batches]:
        writer.write_batch(batch)
    if end_marker:
        writer.close()
    return sink.getvalue().to_pybytes()


@contextlib.contextmanager
def service_answering(body: bytes, *, cut_mid_chunk: bool = False):
    """An HTTP server answering POST /aios/api/sql with `body`, chunked as the service sends it."""
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(200)
            self.send_header("Content-Type", "application/vnd.apache.arrow.stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Connection", "close")
            self.end_headers()
            if cut_mid_chunk:   # the service died mid-send: a chunk announced longer than what came
                self.wfile.write(b"%x\r\n" % (len(body) + 1000) + body)
            else:
                self.wfile.write(b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n")
            self.wfile.flush()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_whole_stream_is_the_whole_result():
    with service_answering(stream_bytes(TABLE)) as url:
        table = ServiceClient(url, "token").query_arrow("SELECT * FROM t")
    assert table.equals(TABLE)


@pytest.mark.parametrize("cut", ["after two batches, no end marker", "mid-chunk"])
def test_a_cut_off_stream_is_an_error_not_fewer_rows(cut):
    body = stream_bytes(TABLE, batches=2, end_marker=False)
    with service_answering(body, cut_mid_chunk=cut == "mid-chunk") as url:
        with pytest.raises(ConnectorError) as raised:
            ServiceClient(url, "token").query_arrow("SELECT * FROM t")
    assert "broke off" in raised.value.message and "audit tail" in (raised.value.fix or "")
