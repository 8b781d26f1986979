"""The router's data files and builder: parse, stay disjoint, never leak the hard set into training."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest
from tokenizers import Tokenizer
from tokenizers.models import Unigram

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def load_script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_router_script_{name}", SCRIPTS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def rd() -> ModuleType:
    return load_script("router_data")


@pytest.fixture(scope="module")
def data(rd: ModuleType):  # noqa: ANN201
    return rd.build()


def test_hard_set_covers_every_language_and_slice(rd: ModuleType) -> None:
    hard = rd.read_hard()
    langs = Counter(e.lang for e in hard)
    assert set(langs) == set(rd.LANGUAGES)
    assert all(n >= 25 for n in langs.values()), langs
    en_slices = Counter(e.slice for e in hard if e.lang == "en")
    assert all(en_slices[s] >= 25 for s in ("plain", "buried", "agent", "formatted")), en_slices
    assert {e.label for e in hard} == set(rd.LABELS)


def test_training_never_sees_held_out_or_hard_text(rd: ModuleType, data) -> None:  # noqa: ANN001
    train = {rd._norm(e.text) for e in data.train}
    assert not train & {rd._norm(e.text) for e in data.hard}
    assert not train & {rd._norm(e.text) for e in data.heldout}
    assert not train & {rd._norm(e.text) for e in data.calib}


def test_build_is_deterministic(rd: ModuleType, data) -> None:  # noqa: ANN001
    assert rd.build().train_hash() == data.train_hash()


def test_every_language_is_trained_and_held_out(rd: ModuleType, data) -> None:  # noqa: ANN001
    for split in (data.train, data.heldout):
        langs = Counter(e.lang for e in split)
        assert set(langs) == set(rd.LANGUAGES), langs


def test_multi_ask_takes_the_most_demanding_label(rd: ModuleType) -> None:
    styles = rd.load_styles()
    lines = [rd.Line("en", "full_low", "What is this?", "plain"), rd.Line("en", "preserve", "How many cats?", "plain")]
    import random

    out = rd.compose(lines, styles, random.Random(0), copies=40, source="test")
    both = [e for e in out if "What is this?" in e.text and "cats" in e.text.lower()]
    assert both and all(e.label == "preserve" for e in both)


def test_prune_tokenizer_keeps_ids_consistent() -> None:
    convert = load_script("convert_e5")
    vocab = [["<s>", 0.0], ["<pad>", 0.0], ["</s>", 0.0], ["<unk>", 0.0], ["\u2581", -2.0], ["a", -3.0],
             ["b", -3.0], ["\u2581ab", -1.0], ["\u2581abba", -0.5], ["zz", -4.0]]
    full = json.loads(Tokenizer(Unigram([tuple(v) for v in vocab], unk_id=3)).to_str())
    full["added_tokens"] = [{"id": i, "content": p, "single_word": False, "lstrip": False, "rstrip": False,
                             "normalized": False, "special": True} for i, (p, _s) in enumerate(vocab[:4])]
    keep = convert.single_character_pieces(vocab) | {7}
    pruned, old_ids = convert.prune_tokenizer(full, keep)
    assert 8 not in old_ids and 9 not in old_ids and list(old_ids[:4]) == [0, 1, 2, 3]
    tok = Tokenizer.from_str(json.dumps(pruned))
    ids = tok.encode("abba").ids
    assert 3 not in ids  # still no unknown: falls back to kept pieces
    assert [pruned["model"]["vocab"][i][0] for i in ids] == [vocab[int(old_ids[i])][0] for i in ids]
