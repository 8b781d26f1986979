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


def test_blind_set_covers_every_language_and_slice(rd: ModuleType) -> None:
    blind = rd.read_blind()
    langs = Counter(e.lang for e in blind)
    assert set(langs) == set(rd.LANGUAGES)
    assert all(n >= 20 for n in langs.values()), langs
    slices = Counter(e.slice for e in blind)
    assert all(slices[s] >= 20 for s in ("agent", "buried", "formatted")), slices
    assert {e.label for e in blind} == set(rd.LABELS)


def test_no_evaluation_prompt_is_inside_any_training_text(rd: ModuleType, data) -> None:  # noqa: ANN001
    """Stronger than equality: a hard, blind or held-out hand-written prompt must not sit whole
    inside a longer training text either (a buried or multi-ask variant would carry it)."""
    train = [rd._norm(e.text) for e in data.train]
    held_lines = {rd._norm(ln.text) for ln in rd.load_lines() if rd.line_split(ln) == "heldout"}
    prompts = {rd._norm(e.text) for e in data.hard + data.blind + data.blind_v4} | held_lines
    inside = [p for p in prompts if any(p in t for t in train)]
    assert not inside, inside[:5]
    assert not {rd._norm(e.text) for e in data.blind + data.blind_v4} & set(train)


def test_blind_set_v4_is_native_non_english_and_disjoint_from_the_training_lines(rd: ModuleType) -> None:
    """Every non-English language, every label in each, and none of its prompts among the
    hand-written lines training and held-out are made from."""
    v4 = rd.read_blind_v4()
    assert len(v4) == 427 and {e.lang for e in v4} == set(rd.LANGUAGES) - {"en"}
    for lang in {e.lang for e in v4}:
        assert {e.label for e in v4 if e.lang == lang} == set(rd.LABELS), lang
    lines = {rd._norm(ln.text) for ln in rd.load_lines()}
    assert not {rd._norm(e.text) for e in v4} & lines


STRUCTURAL_SLOTS = frozenset({"img", "imgs", "n", "side", "region"})
"""Slots of function words every English question uses ("photo", "these", "left", "lower left
corner"): held-out prompts cannot avoid them. Every other slot's vocabulary is disjoint."""


def test_held_out_templates_and_fillers_are_disjoint_from_training(rd: ModuleType) -> None:
    en = rd.load_english()
    for label in rd.LABELS:
        assert not set(en.train_templates[label]) & set(en.heldout_templates[label]), label
    for name, pool in en.slots.items():
        if name not in STRUCTURAL_SLOTS:
            assert not {rd._norm(x) for x in pool.train} & {rd._norm(x) for x in pool.heldout}, name


def test_held_out_prompts_use_only_held_out_style_pieces(rd: ModuleType) -> None:
    styles = rd.load_styles()
    for (lang, kind) in styles.by_lang:
        train, held = set(styles.get(lang, kind, "train")), set(styles.get(lang, kind, "heldout"))
        both_sides = any(rd.split_of(p) == "heldout" for p in styles.by_lang[(lang, kind)]) and any(
            rd.split_of(p) != "heldout" for p in styles.by_lang[(lang, kind)])
        if both_sides:
            assert not train & held, (lang, kind)


def test_every_language_has_many_lines_per_label(rd: ModuleType) -> None:
    """The systematic cause of last round's German/Korean/Hindi collapse was ~30 training lines per
    language: each held-out concept was new. Keep every language well stocked."""
    counts = Counter((ln.lang, ln.label) for ln in rd.load_lines() if rd.line_split(ln) == "train")
    for lang in rd.LANGUAGES:
        for label in rd.LABELS:
            assert counts[(lang, label)] >= 8, (lang, label, counts[(lang, label)])
