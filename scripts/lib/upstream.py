"""A fake OpenAI upstream for scripts/bench_proxy.py: ``python scripts/lib/upstream.py PORT``.

It answers every chat completion at once with a fixed OpenAI-shaped JSON, so the benchmark
measures the proxy, not a model. It reads the whole body and reports its size in
``x-upstream-received-bytes``, which shows how much smaller the proxy made each request.
Listens on 127.0.0.1 only.
"""

from __future__ import annotations

import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

HOST = "127.0.0.1"
CHAT_PATH = "/v1/chat/completions"
ANSWER = {
    "id": "chatcmpl-bench", "object": "chat.completion", "created": 0, "model": "gpt-4o",
    "choices": [{"index": 0, "finish_reason": "stop",
                 "message": {"role": "assistant", "content": "An astronaut in a spacesuit."}}],
    "usage": {"prompt_tokens": 100, "completion_tokens": 8, "total_tokens": 108},
}


async def chat(request: Request) -> JSONResponse:
    body = await request.body()
    return JSONResponse(ANSWER, headers={"x-upstream-received-bytes": str(len(body))})


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def upstream_app() -> Starlette:
    return Starlette(routes=[Route(CHAT_PATH, chat, methods=["POST"]),
                             Route("/healthz", healthz, methods=["GET"])])


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].isdigit():
        print("usage: upstream.py PORT", file=sys.stderr)
        return 2
    uvicorn.run(upstream_app(), host=HOST, port=int(argv[0]), log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
