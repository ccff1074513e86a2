"""A scripted fake OpenAI-compatible chat-completions server on 127.0.0.1 (for judge tests)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def chat(content):
    """A well-formed chat-completions body with one choice."""
    return 200, json.dumps({"choices": [{"index": 0, "message": {"role": "assistant",
                                                                   "content": content}}]})


class FakeServer:
    """Serves scripted replies in order: (status, body[, headers]) tuples, ``"hang"`` (sleep
    past the client's timeout), ``("drip", n, seconds)`` (a 200 reply of ``n`` body bytes sent
    one every ``seconds``; :attr:`dripped` counts the bytes sent before the client left),
    ``("drip-headers", n, seconds)`` (the same, but ``n`` bytes of one header line) or a
    callable ``(request_json, headers) -> tuple``. After the script runs out, the last entry
    repeats."""

    def __init__(self):
        self.script, self.requests, self._stop = [], [], threading.Event()
        self.dripped = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append({"path": self.path, "json": body,
                                        "headers": dict(self.headers)})
                step = server.script[min(len(server.requests), len(server.script)) - 1]
                if step == "hang":
                    server._stop.wait(5)
                    return
                if isinstance(step, tuple) and step[0] in ("drip", "drip-headers"):
                    kind, n, seconds = step
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    if kind == "drip":
                        self.send_header("Content-Length", str(n))
                        self.end_headers()
                    else:
                        self.flush_headers()
                        self.wfile.write(b"X-Padding: ")
                    for _ in range(n):
                        if server._stop.wait(seconds):
                            return
                        try:
                            self.wfile.write(b" " if kind == "drip" else b"x")
                            self.wfile.flush()
                        except OSError:  # the client gave up
                            return
                        server.dripped += 1
                    return
                if callable(step):
                    step = step(body, self.headers)
                status, text, *extra = step
                payload = text.encode()
                self.send_response(status)
                for name, value in (extra[0] if extra else {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.handle_error = lambda *args: None  # a hung client went away: fine
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def stop(self):
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)
