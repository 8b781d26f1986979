"""Derive the int8 PP-OCR recogniser shipped under ``models/ocr/`` from rapidocr's float model.

Usage::

    .venv/bin/python scripts/export_ocr_int8.py [--out models/ocr] [--source PATH] [--height 32]

Four changes, each for time (recognition is most of a transcode, issue 12 item 5):

1. The final softmax over 18,710 classes goes: the decoder takes the arg-max of the logits and
   computes the softmax only at the steps that keep a character (``OUTPUT_KEY`` in the metadata
   tells it).
2. Opset 11 -> 13, which QDQ per-channel quantisation needs (``DequantizeLinear`` with ``axis``).
3. ``--height 32``: the input height 48 -> 32. The network downsamples height 16x and then
   averages the remaining rows (an ``AveragePool`` of height 3); at 32 that pool spans 2 rows.
   Lines are widened 1.35x at that height (``WIDTH_SCALE_KEY`` in the metadata): CTC needs about
   three output steps per character to keep double letters apart, and at 32 x 1.0 "Hello" read
   "Helo". A line then costs 32 x 0.9 / 48 = 0.6 of the float model's columns x height. The
   benchmark (``scripts/bench_ocr.py``) is the judge of the accuracy this costs.
4. Static QDQ int8 for every Conv and MatMul: weights per output channel with ``reduce_range``
   (codes within +-64: onnxruntime's u8 x s8 kernels saturate beyond that on AVX2 CPUs without
   VNNI, see ``scripts/quant_check.py``), activations u8 calibrated (min/max) on line crops of
   text that is not in the benchmark: the GPL/Apache licence texts under
   ``/usr/share/common-licenses``, DejaVu faces at 10-32 px, dark on light and light on dark.

The script checks its own product: every int8 weight code within +-64, and the character error
rate on held-out line crops (other text: Debian's ``copyright`` files) no worse than the float
model of the same input height plus ``CER_SLACK``. It refuses to write a model that fails either,
and records the reference float model's held-out CER beside them (``rec.json``).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if __name__ == "__main__":  # run by path: import from the repository root (scripts/__init__.py)
    sys.path[0] = str(ROOT)

import numpy as np  # noqa: E402
from PIL import Image, ImageDraw, ImageFont  # noqa: E402

from headroom_edge.ocr import OcrEngine, RecognizerParams  # noqa: E402
from headroom_edge.ocr.models import rapidocr_models_dir  # noqa: E402
from headroom_edge.ocr.recognizer import OUTPUT_KEY, WIDTH_SCALE_KEY, TextRecognizer  # noqa: E402
from scripts.lib.stats import edit_distance  # noqa: E402
from scripts.quant_check import SATURATION_FREE_WEIGHT_CODE  # noqa: E402

CER_SLACK = 0.002
"""Held-out CER the int8 model may add over the float model (absolute): about one character in
500, below the spread between fonts."""
FACES = ("DejaVuSans", "DejaVuSerif", "DejaVuSansMono", "DejaVuSans-Bold", "DejaVuSerif-Italic",
         "DejaVuSansCondensed")
SIZES = (10, 11, 12, 13, 14, 16, 18, 20, 24, 28, 32)


def _words(paths: list[Path]) -> list[str]:
    words: list[str] = []
    for path in paths:
        text = path.read_text(encoding="utf-8", errors="replace")
        words += [w for w in text.split() if w.isascii() and w.isprintable()]
    return words


def line_crops(engine: OcrEngine, words: list[str], count: int, seed: int) -> list[tuple[Image.Image, str]]:
    """Rendered lines cut out by the real detector, with the text drawn (one box per line)."""
    rng = random.Random(seed)
    out: list[tuple[Image.Image, str]] = []
    while len(out) < count:
        size, face = rng.choice(SIZES), rng.choice(FACES)
        fnt = ImageFont.truetype(f"/usr/share/fonts/truetype/dejavu/{face}.ttf", size)
        start = rng.randrange(len(words) - 30)
        line = ""
        for word in words[start : start + 30]:
            if line and fnt.getlength(f"{line} {word}") > rng.choice((300, 600, 900)):
                break
            line = f"{line} {word}".strip()
        dark = rng.random() < 0.2
        img = Image.new("RGB", (int(fnt.getlength(line)) + 2 * size, size * 3), "#202124" if dark else "white")
        ImageDraw.Draw(img).text((size, size), line, font=fnt, fill="#e8eaed" if dark else "black")
        boxes = engine.detector.detect(img, max(img.size)).boxes
        if len(boxes) == 1:  # a line the detector split is no clean pair of image and text
            out.append((engine_crop(engine, img, boxes[0]), line))
    return out


def engine_crop(engine: OcrEngine, img: Image.Image, box: object) -> Image.Image:
    from headroom_edge.ocr.recognizer import crop_text_box, trim_rows

    params = engine.recognizer.params
    return trim_rows(crop_text_box(img, box, params.crop_margin), params.trim_margin)  # type: ignore[arg-type]


def cer(recognizer: TextRecognizer, crops: list[tuple[Image.Image, str]]) -> float:
    results = recognizer.recognize_crops([c for c, _ in crops])
    errors = sum(edit_distance(t, r.text.strip()) for (_, t), r in zip(crops, results, strict=True))
    return errors / sum(len(t) for _, t in crops)


def drop_softmax(model: object) -> None:
    """Make the graph end at the logits the final Softmax consumed."""
    graph = model.graph  # type: ignore[attr-defined]
    out = graph.output[0]
    (last,) = [n for n in graph.node if out.name in n.output]
    if last.op_type != "Softmax":
        raise SystemExit(f"expected the recogniser to end in Softmax, found {last.op_type}")
    graph.node.remove(last)
    for node in graph.node:
        for i, name in enumerate(node.output):
            if name == last.input[0]:
                node.output[i] = out.name


def set_height(model: object, height: int) -> None:
    """Fix the input height and make the final row pooling span what the backbone leaves."""
    graph = model.graph  # type: ignore[attr-defined]
    pools = [n for n in graph.node if n.op_type == "AveragePool"]
    if len(pools) != 1:
        raise SystemExit(f"expected one AveragePool in the recogniser, found {len(pools)}")
    rows = height // 16
    for attr in pools[0].attribute:
        if attr.name in ("kernel_shape", "strides"):
            attr.ints[0] = rows
    graph.input[0].type.tensor_type.shape.dim[2].dim_value = height
    del graph.value_info[:]  # shapes recorded for height 48; onnxruntime infers them anew


def _session(model_bytes: bytes) -> object:
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.log_severity_level = 3
    return ort.InferenceSession(model_bytes, so, providers=["CPUExecutionProvider"])


def export(source: Path, out: Path, engine: OcrEngine, height: int = 48, width_scale: float = 1.0) -> dict[str, object]:
    import onnx
    from onnx import numpy_helper, version_converter
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    licences = sorted(Path("/usr/share/common-licenses").glob("*"))
    calibration = line_crops(engine, _words([p for p in licences if p.is_file()]), 160, seed=1)
    copyrights = sorted(Path("/usr/share/doc").glob("*/copyright"))[:40]
    held_out = line_crops(engine, _words(copyrights), 200, seed=2)
    recognizer = engine.recognizer

    model = onnx.load(str(source))
    characters = {p.key: p.value for p in model.metadata_props}["character"]
    drop_softmax(model)
    if height != 48:
        set_height(model, height)
    model = version_converter.convert_version(model, 13)
    params = RecognizerParams(width_scale=width_scale)
    reference = TextRecognizer(_session(model.SerializeToString()), recognizer.charset, params)
    # Activation ranges do not depend on how wide a line is drawn: calibrate at width 1.
    unscaled = TextRecognizer(reference.session, recognizer.charset, RecognizerParams(width_scale=1.0))
    tensors = [unscaled._batch_tensor([c]) for c, _ in calibration]

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self._it = iter(tensors)

        def get_next(self) -> dict[str, np.ndarray] | None:
            x = next(self._it, None)
            return None if x is None else {"x": x}

    with tempfile.TemporaryDirectory() as tmp:
        logits = Path(tmp) / "logits.onnx"
        onnx.save(model, str(logits))
        quantize_static(
            str(logits), str(out), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
            reduce_range=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
            op_types_to_quantize=["Conv", "MatMul"], calibrate_method=CalibrationMethod.MinMax,
        )
    int8 = onnx.load(str(out))
    del int8.metadata_props[:]
    for key, value in (("character", characters), (OUTPUT_KEY, "logits"),
                       ("derived_from", f"rapidocr {source.name} (Apache-2.0), scripts/export_ocr_int8.py"),
                       ("input_height", str(height)), (WIDTH_SCALE_KEY, str(width_scale))):
        entry = int8.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(int8, str(out))

    codes = max(
        int(np.abs(numpy_helper.to_array(i).astype(np.int64)).max())
        for i in int8.graph.initializer if i.data_type == onnx.TensorProto.INT8
    )
    quantised = TextRecognizer(_session(out.read_bytes()), recognizer.charset, params)
    float48_cer, float_cer, int8_cer = cer(recognizer, held_out), cer(reference, held_out), cer(quantised, held_out)
    report = {
        "source": str(source), "input_height": height, "width_scale": width_scale,
        "calibration_crops": len(calibration),
        "held_out_crops": len(held_out), "max_weight_code": codes,
        "held_out_cer_reference_float48": round(float48_cer, 5),
        "held_out_cer_float": round(float_cer, 5), "held_out_cer_int8": round(int8_cer, 5),
        "bytes": out.stat().st_size,
    }
    problems = []
    if codes > SATURATION_FREE_WEIGHT_CODE:
        problems.append(f"weight codes reach {codes} > {SATURATION_FREE_WEIGHT_CODE}")
    if int8_cer > float_cer + CER_SLACK:
        problems.append(f"held-out CER {int8_cer:.4f} > float {float_cer:.4f} + {CER_SLACK}")
    if problems:
        out.unlink()
        raise SystemExit("int8 recogniser rejected: " + "; ".join(problems) + f" ({json.dumps(report)})")
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "models" / "ocr")
    parser.add_argument("--source", type=Path, default=None, help="float recogniser (default: rapidocr's)")
    parser.add_argument("--height", type=int, default=32, choices=(32, 48), help="input height of the export")
    parser.add_argument("--width-scale", type=float, default=None, help="default: 1.35 at height 32, else 1")
    args = parser.parse_args(argv)
    folder = rapidocr_models_dir()
    source = args.source or (folder / "PP-OCRv6_rec_small.onnx" if folder else None)
    if source is None or not source.is_file():
        raise SystemExit("no float recogniser: pip install rapidocr --no-deps, or pass --source")
    engine = OcrEngine(folder if args.source is None else None)
    args.out.mkdir(parents=True, exist_ok=True)
    width_scale = args.width_scale or (1.35 if args.height == 32 else 1.0)
    report = export(source, args.out / "rec.onnx", engine, args.height, width_scale)
    (args.out / "rec.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
