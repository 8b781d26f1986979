"""Reading one HTTP/1.1 message off a raw socket, for tests that speak HTTP by hand
(fault-injecting upstreams, request-smuggling and open-proxy probes)."""

from __future__ import annotations

import socket
from dataclasses import dataclass


def read_message(conn: socket.socket) -> bytes:
    """Headers plus a Content-Length body, leaving the connection open (b"" parts if it closes)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body




@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes


def raw_request(port: int, request_line: str, headers: dict[str, str] | None = None,
                body: bytes = b"", timeout: float = 10.0) -> RawResponse:
    """Send one request (``Connection: close``) and read the whole response."""
    lines = [request_line]
    sent = {k.lower() for k in (headers or {})}
    for key, value in (headers or {}).items():
        lines.append(f"{key}: {value}")
    if "host" not in sent:
        lines.append(f"Host: 127.0.0.1:{port}")
    if body and "content-length" not in sent and "transfer-encoding" not in sent:
        lines.append(f"Content-Length: {len(body)}")
    lines.append("Connection: close")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head + body)
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    return parse_response(data)


def parse_response(data: bytes) -> RawResponse:
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and lines[0].startswith("HTTP/") else 0
    headers: dict[str, str] = {}
    for line in lines[1:]:
        key, _, value = line.partition(":")
        headers[key.strip().lower()] = value.strip()
    return RawResponse(status, headers, body)
