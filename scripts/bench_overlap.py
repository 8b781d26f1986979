"""A/B/C of the pipeline's helper thread: ``compress_body`` as shipped (a JPEG's question asked
on the helper while this thread decodes; other formats decoded on the helper while this thread
routes), with the image always on the helper (the arrangement before the question went there),
and deciding inline, against the bare Pillow floor, in one run.

Run::

    .venv/bin/python scripts/bench_overlap.py [--runs 60]

Why a separate A/B: scripts/bench.py compares one build against the floor; whether the overlap
itself pays is only visible when both variants run in the same process, interleaved run by run
(ABCD, then DCBA...), so load from other processes hits all four alike. Besides the three images
of scripts/bench.py it times a PRESERVE and a CROP question on the 1024 photo and on the
3000x4000 photo: there the early decode is speculative work the answer does not use, so those
rows show what it costs. Prints medians, p90 and the paired median ratios (shipped / inline and
shipped / image-on-helper, per interleaved run).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if __name__ == "__main__":  # run by path: import from the repository root (scripts/__init__.py)
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from headroom_edge import ImageCompressor  # noqa: E402
from headroom_edge.imaging import probe_image  # noqa: E402
from headroom_edge.techniques.base import TechniqueContext  # noqa: E402
from headroom_edge.techniques.full_low import low_plan  # noqa: E402


def _bench_module():
    """scripts/bench.py itself (its cases and its floor), loaded by path: ``bench`` is the name
    of the helper package under scripts/."""
    spec = importlib.util.spec_from_file_location("bench_main", ROOT / "scripts" / "bench.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_main"] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


class ImageOnHelper:
    """The shipped decider without its question step (``ask``): the pipeline then sends the
    image to the helper and routes here, as it did for every format before."""

    def __init__(self, inner) -> None:  # noqa: ANN001
        self.inner = inner
        self.name = inner.name

    def decide(self, question, source, ctx):  # noqa: ANN001, ANN201
        return self.inner.decide(question, source, ctx)


def measure(bench, case, variants: dict[str, ImageCompressor], runs: int) -> str:  # noqa: ANN001
    """One table row: the variants and the floor interleaved ``runs`` times after three warm-up rounds."""
    raw = case.body()
    overlap = variants["overlap"]
    out = overlap.compress_body(raw, path=bench.CHAT_PATH)
    for name, comp in variants.items():
        assert out.body == comp.compress_body(raw, path=bench.CHAT_PATH).body, f"{name} changed the output"
    result = out.result.images[0]
    info = probe_image(case.data, overlap.config.limits)
    ctx = TechniqueContext("openai", case.model, None, None, overlap.config)
    target = tuple(result.compressed_size) if out.changed else low_plan(ctx.family, info.size)[0]
    floor_type = result.media_type if out.changed and result.media_type else info.media_type
    samples: dict[str, list[int]] = {name: [] for name in [*variants, "floor"]}

    def run(name: str) -> None:
        if name == "floor":
            start = time.perf_counter_ns()
            bench.pillow_floor(case.data, target, floor_type, overlap.config.jpeg_quality)
        else:
            comp = variants[name]
            comp.pipeline.cache.clear()
            start = time.perf_counter_ns()
            comp.compress_body(raw, path=bench.CHAT_PATH)
        samples[name].append(time.perf_counter_ns() - start)

    order = list(samples)
    for _ in range(3):
        for name in order:
            run(name)
    for values in samples.values():
        values.clear()
    for i in range(runs):
        for name in order if i % 2 == 0 else order[::-1]:
            run(name)
    med = {k: statistics.median(v) / 1e6 for k, v in samples.items()}
    p90 = {k: sorted(v)[int(0.9 * (len(v) - 1))] / 1e6 for k, v in samples.items()}
    def paired(a: str, b: str) -> float:
        return statistics.median(x / y for x, y in zip(samples[a], samples[b], strict=True))

    return (f"{case.name:34} {result.technique.value:9} {med['overlap']:8.2f}ms {med['image_helper']:8.2f}ms "
            f"{med['inline']:8.2f}ms {med['floor']:8.2f}ms {paired('overlap', 'floor'):8.2f}x "
            f"{paired('image_helper', 'floor'):8.2f}x {paired('overlap', 'inline'):7.3f}x "
            f"{paired('overlap', 'image_helper'):7.3f}x {p90['overlap']:7.2f}ms {p90['image_helper']:7.2f}ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=60)
    args = parser.parse_args()
    bench = _bench_module()
    cases = bench.default_cases()
    photo, phone = cases[0], cases[2]
    for base, label in ((photo, "photo"), (phone, "phone photo")):
        cases += [bench.Case(f"{label}, preserve question", base.data, base.media_type,
                             "How many buttons are on the suit?"),
                  bench.Case(f"{label}, crop question", base.data, base.media_type,
                             "What is in the top-left corner?")]
    overlap = ImageCompressor()
    image_helper = ImageCompressor(decider=ImageOnHelper(overlap.decider))
    inline = ImageCompressor()
    inline._overlap = None  # the same code path, deciding without the helper thread
    assert overlap.pipeline.overlap is not None, "needs two usable cores"
    assert inline.pipeline.overlap is None
    variants = {"overlap": overlap, "image_helper": image_helper, "inline": inline}
    print(f"load average before: {os.getloadavg()}")
    print(f"{'case':34} {'technique':9} {'shipped':>9} {'img-help':>9} {'inline':>9} {'floor':>9} "
          f"{'shp/floor':>9} {'img/floor':>9} {'shp/inl':>8} {'shp/img':>8} {'p90 shp':>8} {'p90 img':>8}")
    for case in cases:
        print(measure(bench, case, variants, args.runs))
    print(f"load average after: {os.getloadavg()}")
    print(json.dumps({"runs": args.runs, "cpus": len(os.sched_getaffinity(0))}))


if __name__ == "__main__":
    main()
