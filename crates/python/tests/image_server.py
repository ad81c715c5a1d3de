"""A local HTTP server for URL tests (127.0.0.1, a free port): /range/NAME honours Range,
/full/NAME ignores it, /missing/NAME is 404, /slow/NAME answers after a delay. It counts requests
in flight, to check the concurrency limit."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict


class ImageServer:
    def __init__(self, files: Dict[str, bytes], delay: float = 0.0) -> None:
        self.files, self.delay = files, delay
        self.in_flight = self.most_in_flight = 0
        self.requests = []
        lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                with lock:
                    server.in_flight += 1
                    server.most_in_flight = max(server.most_in_flight, server.in_flight)
                    server.requests.append((self.path, self.headers.get("Range")))
                try:
                    self._answer()
                finally:
                    with lock:
                        server.in_flight -= 1

            def _answer(self):
                _, mode, name = self.path.split("/", 2)
                if server.delay:
                    time.sleep(server.delay)
                data = server.files.get(name)
                if mode == "missing" or data is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "9")
                    self.end_headers()
                    self.wfile.write(b"not found")
                    return
                wanted = self.headers.get("Range")
                if mode == "range" and wanted and wanted.startswith("bytes="):
                    a, _, b = wanted[6:].partition("-")
                    start, end = int(a), min(int(b) if b else len(data) - 1, len(data) - 1)
                    body = data[start : end + 1]
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
                else:
                    body = data
                    self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "ImageServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
