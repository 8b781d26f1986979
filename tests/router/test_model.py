"""The committed router model (models/router), through real onnxruntime sessions."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from headroom_edge.router import CostMatrix, QueryRouter, RouteDecision, RouterUnavailableError
from headroom_edge.technique import Technique

ROOT = Path(__file__).resolve().parents[2]
MODEL_DIR = ROOT / "models" / "router"

CLEAR: dict[str, list[str]] = {
    "full_low": [
        "What colour is the car?",
        "describe this photo",
        "Is there a dog in this picture?",
        "what's going on in this image",
        "Write a caption for this photo",
        "Is this indoors or outdoors?",
        "What's the mood of this picture?",
        "what kind of flower is this",
        "Is it day or night here?",
        "Where do you think this was taken?",
        "Give me a short description of this image.",
        "Is the sky cloudy?",
        "What animal is this?",
        "Does this room look cozy?",
        "What season is it in this photo?",
        "Can you suggest some hashtags for this picture?",
        "what is this",
        "Is this a beach or a lake?",
        "What is the man doing?",
        "Which of these two photos looks brighter?",
        "Is the house blue?",
        "What's the weather like in the photo?",
        "what style is this living room",
        "tell me about this picture",
    ],
    "preserve": [
        "How many people are in this photo?",
        "count the coins on the table",
        "What time does the clock show?",
        "What's the reading on the pressure gauge?",
        "What brand is the shirt?",
        "What's the serial number on the sticker?",
        "What is the license plate of the car?",
        "How much does it cost according to the price tag?",
        "Are there any scratches on the phone screen?",
        "Is there a crack in the windshield?",
        "What's the exact value for 2021 in the bar chart?",
        "What does the thermometer read?",
        "What's the model number of the printer?",
        "how many birds are on the wire",
        "Check the weld for defects",
        "What number is the player wearing?",
        "What's the speed on the speedometer?",
        "Any rust on the bike frame?",
        "exactly how many screws are there",
        "What's the expiration date on the milk?",
        "What does the scale say?",
        "What logo is on the cap?",
        "How many windows does the house have?",
        "Is there any damage to the bumper?",
    ],
    "crop": [
        "What's in the top left corner?",
        "what is in the bottom right corner of the image",
        "Who is the person on the left?",
        "What is the woman on the right holding?",
        "Describe the background.",
        "What's in the foreground?",
        "What's on the left side of the picture?",
        "What's in the top half of the image?",
        "What's in the center of the photo?",
        "Read the text in the top left corner.",
        "What does the sign in the top right corner say?",
        "What is the man on the far right wearing?",
        "What's in the lower left corner?",
        "what's happening in the background",
        "Describe the right half of the image.",
        "What's at the bottom of the picture?",
        "Who is standing in the middle?",
        "How many cars are in the left half?",
        "Zoom in on the bottom right corner",
        "What colour is the car on the left?",
        "What's the object in the upper right?",
        "what's in the left third of the photo",
        "Is the person on the right smiling?",
        "What's that in the distance?",
    ],
    "transcode": [
        "What does the sign say?",
        "Transcribe this document.",
        "Read the text in this image.",
        "OCR this receipt",
        "Extract the text from this screenshot.",
        "Translate the menu into English.",
        "Summarize this document.",
        "Convert this receipt to JSON.",
        "Turn this table into CSV.",
        "What's written on the whiteboard?",
        "what does the note say",
        "Can you read this letter for me?",
        "What does the error message say?",
        "Transcribe the handwritten note.",
        "What does the poster say?",
        "Copy the text from this page.",
        "What's the total on this receipt?",
        "Please type out the text in this picture.",
        "Translate this sign to French.",
        "Summarise this article in three bullet points.",
        "extract all the line items from this invoice",
        "What does this page say?",
        "what is written on the card",
        "Convert this invoice into a spreadsheet.",
    ],
}


@pytest.fixture(scope="module")
def router() -> QueryRouter:
    return QueryRouter(MODEL_DIR, device="cpu")


@pytest.mark.parametrize("label", sorted(CLEAR))
def test_clear_examples_are_routed_correctly(router: QueryRouter, label: str) -> None:
    """Exact, except that the harm-averse cost rule may keep a few images (a cost, never a harm)."""
    decisions = router.classify_batch(CLEAR[label])
    wrong = [(q, d.technique.value, round(d.confidence, 2)) for q, d in zip(CLEAR[label], decisions, strict=True)
             if d.technique.value != label]
    unsafe = [w for w in wrong if w[1] != "preserve"]
    assert not unsafe, f"misrouted {label}: {unsafe}"
    assert len(wrong) <= 2, f"too many kept {label} questions: {wrong}"


def test_decision_shape(router: QueryRouter) -> None:
    d = router.classify("You are a helpful assistant. What brand is the laptop? Thanks!")
    assert isinstance(d, RouteDecision)
    assert isinstance(d.technique, Technique)
    assert set(d.probabilities) == {t.value for t in Technique if t is not Technique.FIT}  # FIT: policy only
    assert abs(sum(d.probabilities.values()) - 1.0) < 1e-6
    assert d.confidence == pytest.approx(d.probabilities[d.technique.value])
    assert d.routed_text == "What brand is the laptop?"
    assert d.windows == 1
    assert set(d.expected_costs) == {t.value for t in Technique if t is not Technique.FIT}
    assert d.technique.value == min(d.expected_costs, key=d.expected_costs.get)


def test_batch_equals_single(router: QueryRouter) -> None:
    questions = [q for qs in CLEAR.values() for q in qs[:8]] + ["", "short?", "a " * 300 + "what is it?"]
    batch = router.classify_batch(questions)
    assert len(batch) == len(questions)
    for q, b in zip(questions, batch, strict=True):
        assert router.classify(q) == b, q  # exact: no padding or batch-mates influence a decision


@pytest.mark.parametrize("text", ["", "   ", "\n", None])
def test_empty_question_is_preserve_fallback(router: QueryRouter, text: str | None) -> None:
    d = router.classify(text)  # type: ignore[arg-type]
    assert d.technique is Technique.PRESERVE
    assert d.confidence == 0.0
    assert d.fallback is True
    assert d.probabilities == {}


def test_low_confidence_falls_back_to_preserve() -> None:
    strict = QueryRouter(MODEL_DIR, device="cpu", min_confidence=1.01)  # nothing is that sure
    for q in ["What colour is the car?", "What's in the top left corner?", "Transcribe this document."]:
        d = strict.classify(q)
        assert d.technique is Technique.PRESERVE
        assert d.fallback is True
        assert d.confidence == pytest.approx(d.probabilities["preserve"])
        assert max(d.probabilities.values()) > 0.25
        assert max(d.probabilities, key=d.probabilities.get) != "preserve"


def test_ambiguous_gibberish_is_not_confident(router: QueryRouter) -> None:
    d = router.classify("hmm")
    assert d.confidence < 0.99


def test_calibration_and_costs_come_from_metadata(router: QueryRouter) -> None:
    meta = json.loads((MODEL_DIR / "metadata.json").read_text())
    assert router.temperature == pytest.approx(meta["temperature"]) and router.temperature > 0
    assert router.costs.to_json() == CostMatrix.from_json(meta["cost_matrix"]).to_json()
    assert router.min_confidence == pytest.approx(meta["min_confidence"])
    curve = meta["operating_curve_calib"]
    assert any(c["harm_weight"] == meta["cost_matrix"]["harm_weight"] for c in curve)


def test_a_cheaper_cost_matrix_saves_more() -> None:
    questions = [q for qs in CLEAR.values() for q in qs]
    safe = QueryRouter(MODEL_DIR, device="cpu", costs=CostMatrix().scaled(50.0)).classify_batch(questions)
    cheap = QueryRouter(MODEL_DIR, device="cpu", costs=CostMatrix().scaled(0.05)).classify_batch(questions)
    n_preserve = lambda ds: sum(d.technique is Technique.PRESERVE for d in ds)  # noqa: E731
    assert n_preserve(safe) >= n_preserve(cheap)


def test_a_long_turn_keeps_its_demanding_clause(router: QueryRouter) -> None:
    story = " ".join(["We went to the coast last weekend and the weather was lovely all day long."] * 6)
    d = router.classify("What is the serial number on the sticker? " + story + " Also, is it sunny?")
    assert d.windows >= 2
    assert d.technique is Technique.PRESERVE


def test_windows_cover_the_end_of_the_turn(router: QueryRouter) -> None:
    text = " ".join(f"Sentence number {i} is about nothing in particular." for i in range(200)) + " ¿Qué dice la carta?"
    windows = router.windows(text)
    assert 1 < len(windows) <= 4
    assert windows[-1].endswith("¿Qué dice la carta?")
    for w in windows:
        assert len(router._tokenizer.encode(w).ids) <= router.max_length


def test_missing_model_dir_raises(tmp_path: Path) -> None:
    with pytest.raises(RouterUnavailableError):
        QueryRouter(tmp_path / "does-not-exist")


def test_missing_files_raise(tmp_path: Path) -> None:
    partial = tmp_path / "router"
    partial.mkdir()
    shutil.copy(MODEL_DIR / "labels.json", partial)
    shutil.copy(MODEL_DIR / "tokenizer.json", partial)
    with pytest.raises(RouterUnavailableError, match="model.onnx"):
        QueryRouter(partial)


def test_corrupt_model_raises(tmp_path: Path) -> None:
    broken = tmp_path / "router"
    shutil.copytree(MODEL_DIR, broken, ignore=shutil.ignore_patterns("model.onnx"))
    (broken / "model.onnx").write_bytes(b"not an onnx file")
    with pytest.raises(RouterUnavailableError):
        QueryRouter(broken)


def test_labels_and_metadata_are_consistent(router: QueryRouter) -> None:
    labels = json.loads((MODEL_DIR / "labels.json").read_text())
    meta = json.loads((MODEL_DIR / "metadata.json").read_text())
    assert sorted(labels.values()) == sorted(t.value for t in Technique if t is not Technique.FIT)
    assert [labels[str(i)] for i in range(len(labels))] == meta["labels"]
    assert router.labels == tuple(Technique(v) for v in meta["labels"])
    assert router.max_length == meta["max_length"]
    assert meta["opset"] == 17
    assert len(meta["data"]["train_sha256"]) == 64
    report = meta["evaluation"]["all"]
    matrix = report["confusion_rows_true_cols_pred"]["matrix"]
    assert sum(map(sum, matrix)) == meta["data"]["n_heldout"] + meta["data"]["n_hard"] == report["overall"]["n"]
    assert report["overall"]["strict"] == pytest.approx(
        sum(matrix[i][i] for i in range(len(matrix))) / report["overall"]["n"], abs=1e-4
    )
    assert meta["model_bytes"] == (MODEL_DIR / "model.onnx").stat().st_size
    outputs = router._session.get_outputs()
    assert outputs[0].name == "logits" and outputs[0].shape[1] == len(labels)
    assert "multilingual-e5-small" in (MODEL_DIR / "NOTICE").read_text()
    assert (MODEL_DIR / "LICENSE").read_text().startswith("MIT License")


def test_model_folder_fits_the_size_budget() -> None:
    sizes = [p.stat().st_size for p in MODEL_DIR.iterdir() if p.is_file()]
    assert max(sizes) < 95_000_000
    assert sum(sizes) <= 130_000_000


def test_tokenizer_truncates_and_does_not_pad_single(router: QueryRouter) -> None:
    tok = router._tokenizer
    huge = " ".join(["photograph"] * 5000) + " what does the sign say?"
    assert len(tok.encode(huge).ids) == router.max_length
    assert len(tok.encode("what is it?").ids) < 10  # no fixed-length padding
    assert tok.token_to_id("<unk>") not in tok.encode("这张图 画像 사진 तस्वीर фото").ids  # pruned, yet no script unknown
    d = router.classify(huge)
    assert d.technique in set(Technique)
    assert np.isfinite(d.confidence)


def test_router_import_does_not_pull_torch_or_transformers() -> None:
    code = (
        "import sys\n"
        "from headroom_edge.router import QueryRouter\n"
        f"r = QueryRouter({str(MODEL_DIR)!r}, device='cpu')\n"
        "d = r.classify('what does the sign say?')\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'transformers', 'optimum'))\n"
        "print(d.technique.value, bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("transcode")
