#!/usr/bin/env python3
"""tests/peers/webhook.py PORT DIR: an HTTP listener on 127.0.0.1:PORT that
saves each POST as DIR/<path with / as _> (headers, blank line, body) and
answers 200."""
import http.server
import sys

port, outdir = sys.argv[1:3]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        name = self.path.strip("/").replace("/", "_") or "root"
        with open(f"{outdir}/{name}", "wb") as f:
            for k, v in self.headers.items():
                f.write(f"{k}: {v}\n".encode())
            f.write(b"\n" + body)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


http.server.HTTPServer(("127.0.0.1", int(port)), Handler).serve_forever()
