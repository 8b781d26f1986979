"""AWS Bedrock: compress inside a boto3 client, before the request is signed.

Why not the proxy: Bedrock requests carry a SigV4 signature over a hash of the body, so any
byte a proxy changed would make AWS reject the request. botocore emits
``before-call.bedrock-runtime.<Operation>`` with the serialised request (``params["body"]``)
before it signs, so the rewrite happens there and the signature is computed over the
compressed body. One line installs it::

    import boto3
    from headroom_edge.integrations.bedrock import compress_bedrock

    client = compress_bedrock(boto3.client("bedrock-runtime", region_name="us-east-1"))
    client.converse(modelId=..., messages=[...])      # images go out compressed, still signed

Operations: ``Converse``/``ConverseStream`` (Converse bodies) and ``InvokeModel``/
``InvokeModelWithResponseStream`` (Anthropic Messages bodies with ``anthropic_version``).
Everything else, and any body that is not one of those, is left exactly as botocore built it;
a compressor error leaves the request untouched (fail open). botocore is never imported here:
the hook only uses the client's own event system.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from headroom_edge.formats.bedrock_converse import model_from_path

if TYPE_CHECKING:
    from headroom_edge.compressor import ImageCompressor
    from headroom_edge.results import CompressionResult

SERVICE = "bedrock-runtime"
# Operation -> the wire format of its body.
OPERATIONS = {
    "Converse": "bedrock_converse",
    "ConverseStream": "bedrock_converse",
    "InvokeModel": "anthropic_messages",
    "InvokeModelWithResponseStream": "anthropic_messages",
}
_REWRITES_KEPT = 64  # identical bodies (a caller's own retries) get identical bytes


@dataclass(eq=False)
class BedrockCompression:
    """The hook installed on one client; ``uninstall()`` removes it."""

    client: Any
    compressor: ImageCompressor | None = None
    last_result: CompressionResult | None = None
    _rewrites: OrderedDict[str, bytes] = field(default_factory=OrderedDict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _compressor(self) -> ImageCompressor:
        with self._lock:
            if self.compressor is None:
                from headroom_edge.compressor import ImageCompressor

                self.compressor = ImageCompressor()
            return self.compressor

    def events(self) -> list[str]:
        return [f"before-call.{SERVICE}.{op}" for op in OPERATIONS]

    def install(self) -> BedrockCompression:
        for event in self.events():
            self.client.meta.events.register(event, self._before_call, unique_id=self._key(event))
        return self

    def uninstall(self) -> None:
        for event in self.events():
            self.client.meta.events.unregister(event, unique_id=self._key(event))

    def _key(self, event: str) -> str:
        return f"headroom-edge:{id(self)}:{event}"

    def _before_call(self, params: dict[str, Any], model: Any = None, **_: Any) -> None:
        """Rewrites ``params["body"]`` in place; returns None so botocore goes on to sign it."""
        body = params.get("body")
        operation = getattr(model, "name", None)
        wire_format = OPERATIONS.get(str(operation))
        if wire_format is None or not isinstance(body, (bytes, bytearray)) or not body:
            return None
        key = hashlib.sha256(body).hexdigest()
        with self._lock:
            cached = self._rewrites.get(key)
        if cached is not None:
            params["body"] = cached
            _fix_length(params, len(cached))
            return None
        try:
            out = self._compressor().compress_body(
                bytes(body),
                wire_format=wire_format,
                model=model_from_path(params.get("url_path")),
                path=params.get("url_path"),
            )
        except Exception:  # noqa: BLE001 - fail open: the request goes as botocore built it
            return None
        self.last_result = out.result
        if out.changed:
            params["body"] = out.body
            _fix_length(params, len(out.body))
            with self._lock:
                self._rewrites[key] = out.body
                while len(self._rewrites) > _REWRITES_KEPT:
                    self._rewrites.popitem(last=False)
        return None


def _fix_length(params: dict[str, Any], length: int) -> None:
    headers = params.get("headers")
    if isinstance(headers, dict):
        for name in list(headers):
            if name.lower() == "content-length":
                headers[name] = str(length)


def compress_bedrock(client: Any, compressor: ImageCompressor | None = None) -> Any:
    """Installs the hook on a ``bedrock-runtime`` client and returns the same client.

    The hook object is at ``client.headroom`` (``last_result``, ``uninstall()``).
    """
    hook = BedrockCompression(client, compressor).install()
    client.headroom = hook
    return client
