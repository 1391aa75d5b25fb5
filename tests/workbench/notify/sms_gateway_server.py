"""A stand-in SMS gateway for the HTTP backend tests: a real HTTP server on loopback that
appends every POSTed JSON body to a file (one JSON document per line) and answers 200 —
or the status named in the phone number's last three digits when they are 4xx/5xx
("13800000500" → 500), so tests can make the gateway fail on purpose.

    python -m tests.workbench.notify.sms_gateway_server PORT RECORD_FILE
"""
from __future__ import annotations

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def make_handler(record: Path):
    class Gateway(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw)
            except ValueError:
                self._answer(400, {"error": "body is not JSON"})
                return
            with record.open("a", encoding="utf-8") as out:
                out.write(json.dumps({"path": self.path, "content_type": self.headers.get("Content-Type"),
                                      "body": body}, ensure_ascii=False) + "\n")
            phone = json.dumps(body)
            status = 200
            for code in (400, 429, 500, 503):
                if f"00{code}" in phone:
                    status = code
            self._answer(status, {"ok": status == 200})

        def do_GET(self):  # noqa: N802 - readiness probe
            self._answer(200, {"ok": True})

        def _answer(self, status: int, payload: dict):
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_args):
            pass

    return Gateway


def main() -> None:
    port, record = int(sys.argv[1]), Path(sys.argv[2])
    record.parent.mkdir(parents=True, exist_ok=True)
    record.touch()
    server = ThreadingHTTPServer(("127.0.0.1", port), make_handler(record))
    print(f"sms gateway listening on 127.0.0.1:{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
