"""A WhatsApp gateway of the test's own (notices.channels.whatsapp's contract): an HTTP server in a thread
on 127.0.0.1 and a free port that records every request and answers with ``status``."""

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

TOKEN = "token-gateway-uji-rahasia"
PATH = "/v1/messages"


@dataclass
class Request:
    method: str
    path: str
    headers: dict
    body: bytes

    @property
    def json(self):
        return json.loads(self.body.decode("utf-8"))


class FakeGateway:
    def __init__(self):
        self.requests: list[Request] = []
        self.status = 200
        self.path, self.token = PATH, TOKEN
        self._server = None
        self._thread = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}{PATH}"

    def start(self):
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                gateway.requests.append(Request(self.command, self.path, dict(self.headers.items()), body))
                answer = json.dumps({"id": f"pesan-{len(gateway.requests)}"} if gateway.status < 300 else
                                    {"error": "gangguan gateway uji"}).encode()
                self.send_response(gateway.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_GET = do_PUT = do_POST

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def whatsapp_gateway(settings):
    gateway = FakeGateway().start()
    settings.WHATSAPP_GATEWAY_URL = gateway.url
    settings.WHATSAPP_GATEWAY_TOKEN = TOKEN
    settings.WHATSAPP_TIMEOUT = 5
    try:
        yield gateway
    finally:
        gateway.stop()
