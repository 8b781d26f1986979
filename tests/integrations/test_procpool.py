"""The supervised process pool: a worker that segfaults or hangs costs one request, not the proxy.

Real child processes with the real compressor; the crash is a real SIGSEGV in the child (see
crashing_compressor.py). Through a real proxy on 127.0.0.1 and the real OpenAI SDK: the request
that crashed its worker is answered (sent uncompressed), requests in flight on other workers
finish compressed, and after the restart compression resumes.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import openai
import pytest

from headroom_edge.integrations import ProxySettings, create_proxy_app
from headroom_edge.integrations.metrics import Metrics
from headroom_edge.integrations.procpool import (
    ProcessCompressor,
    WorkerCrashed,
    WorkerHung,
    WorkerStarting,
)
from tests.integrations.crashing_compressor import CRASH, HANG, crashing_factory
from tests.integrations.fake_provider import Recorder
from tests.integrations.servers import ServerThread


def _chat(jpeg: bytes, question: str) -> list[dict]:
    url = "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")
    return [{"role": "user", "content": [{"type": "text", "text": question},
                                         {"type": "image_url", "image_url": {"url": url}}]}]


def _body(jpeg: bytes, question: str) -> bytes:
    return json.dumps({"model": "gpt-4o", "messages": _chat(jpeg, question)}).encode()


@pytest.fixture(scope="module")
def children() -> Iterator[ProcessCompressor]:
    pool = ProcessCompressor(processes=2, factory=crashing_factory, hang_timeout_s=3.0,
                             metrics=Metrics())
    pool.start()
    assert pool.wait_ready(180)
    yield pool
    pool.close()


def test_compresses_like_the_library_in_a_child(children: ProcessCompressor, jpeg: bytes) -> None:
    out = children.compress_body(_body(jpeg, "What animal is this?"), wire_format="openai_chat")
    assert out.changed and out.result.images[0].technique.value == "full_low"
    assert os.getpid() not in children.pids


def test_segfault_raises_worker_crashed_and_the_child_is_replaced(
    children: ProcessCompressor, jpeg: bytes
) -> None:
    before, restarts = set(children.pids), children.restarts
    with pytest.raises(WorkerCrashed):
        children.compress_body(_body(jpeg, f"{CRASH.decode()} what is this?"))
    assert children.restarts == restarts + 1
    if not children.wait_ready(0):  # the replacement is loading: its slot fails open at once
        for _ in range(2):  # one call meets the healthy child, the other the replacement
            start = time.monotonic()
            try:
                children.compress_body(_body(jpeg, "What animal is this?"), wire_format="openai_chat")
            except WorkerStarting:
                assert time.monotonic() - start < 0.5  # not waiting for the models to load
    assert children.metrics is not None
    assert children.metrics.value("headroom_worker_restarts_total", reason="crashed") >= 1
    assert children.wait_ready(180)
    after = set(children.pids)
    assert len(after) == 2 and after != before
    out = children.compress_body(_body(jpeg, "What animal is this?"), wire_format="openai_chat")
    assert out.changed


def test_hang_is_killed_after_the_hang_timeout(children: ProcessCompressor, jpeg: bytes) -> None:
    start = time.monotonic()
    with pytest.raises(WorkerHung):
        children.compress_body(_body(jpeg, f"{HANG.decode()} what is this?"))
    assert 3.0 <= time.monotonic() - start < 3.0 + 2.0
    assert children.wait_ready(180) and len(children.pids) == 2


def test_a_killed_child_between_jobs_is_noticed_and_replaced(
    children: ProcessCompressor, jpeg: bytes
) -> None:
    """A child killed from outside (the OOM killer) fails at most the job that meets it."""
    for pid in children.pids:
        os.kill(pid, signal.SIGKILL)
    time.sleep(0.2)
    outcomes = []
    for _ in range(2):
        try:
            children.compress_body(_body(jpeg, "What animal is this?"), wire_format="openai_chat")
            outcomes.append("ok")
        except WorkerCrashed:
            outcomes.append("crashed")
    assert outcomes == ["crashed", "crashed"]
    assert children.wait_ready(180)
    assert children.compress_body(_body(jpeg, "What animal is this?")).changed


def test_proxy_survives_a_worker_crash_with_requests_in_flight(
    children: ProcessCompressor, upstream: ServerThread, recorder: Recorder, jpeg: bytes
) -> None:
    settings = ProxySettings(openai_base_url=upstream.url, anthropic_base_url=upstream.url,
                             google_base_url=upstream.url, trust_env=False, workers=2,
                             time_budget_s=60)
    assert children.wait_ready(180)
    app = create_proxy_app(settings, compressor=children)
    with ServerThread(app) as proxy:
        client = openai.OpenAI(base_url=f"{proxy.url}/v1", api_key="sk-test", max_retries=0)

        def ask(question: str) -> str:
            r = client.chat.completions.with_raw_response.create(
                model="gpt-4o", messages=_chat(jpeg, question), extra_headers={"x-q": question})
            return r.headers.get("x-headroom-technique", "none")

        with ThreadPoolExecutor(2) as threads:
            normal = threads.submit(ask, "What animal is this?")
            time.sleep(0.05)
            crashed = threads.submit(ask, f"{CRASH.decode()} what is this?")
            assert crashed.result(timeout=120) == "none"  # answered, sent as it came
            assert normal.result(timeout=120) == "full_low"
        sent = {r.header("x-q"): r for r in recorder.requests if r.header("x-q")}
        original_url = _chat(jpeg, "")[0]["content"][1]["image_url"]["url"]
        crash_body = sent[f"{CRASH.decode()} what is this?"].json()
        assert crash_body["messages"][0]["content"][1]["image_url"]["url"] == original_url
        assert client.models.list() is not None  # the proxy itself is fine
        assert children.wait_ready(180)
        assert ask("What animal is this?") == "full_low"  # compression resumed


def test_past_the_deadline_the_child_stops_at_its_checkpoint_without_a_restart(jpeg: bytes) -> None:
    """The child runs the job under the caller's deadline, so OCR stops between batches and the
    child stays (no model reload); only a child that ignores it is killed."""
    from headroom_edge.runtime.cancel import Cancelled, Deadline, deadline_scope
    from tests.factories import document_png

    pool = ProcessCompressor(processes=1, kill_grace_s=30.0)
    pool.start()
    try:
        assert pool.wait_ready(180)
        pid = pool.pids
        page = json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": [
            {"type": "text", "text": "Transcribe the text in this document."},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,"
                                                + base64.b64encode(document_png()).decode()}}]}]})
        with deadline_scope(Deadline.after(0.05)), pytest.raises(Cancelled):
            pool.compress_body(page.encode(), wire_format="openai_chat")
        assert pool.restarts == 0 and pool.pids == pid
        out = pool.compress_body(page.encode(), wire_format="openai_chat")  # no deadline: reads it
        assert out.result.images[0].technique.value == "transcode"
    finally:
        pool.close()
