"""Build the labelled question sets the query router is trained, calibrated and evaluated on.

Usage::

    .venv/bin/python scripts/router_data.py --show 20                  # print samples per split
    .venv/bin/python scripts/router_data.py --out reports/router_data  # write the splits as jsonl

All text lives in data files under ``scripts/data/router/`` (this module only combines them):

* ``english.json``: English templates per label (``[a|b]`` alternatives, ``{slot}`` fillers) with
  separate *train* and *held-out* templates and disjoint filler vocabulary, plus English style
  pools (context, chatter, politeness, slang, keyboard typos);
* ``multilingual.tsv``: natively written questions in es, de, fr, pt, zh, ja, hi, ru, it, ko;
* ``english_extra.tsv``: agent / computer-use asks, spatial words that name no region, negations,
  small-detail and gist-with-"document"-words lines;
* ``styles.tsv``: per language, backstory sentences (buried asks), answer-format lines, joiners
  for multi-ask prompts and agent tool-result framing;
* ``scripts/router_examples.txt``: older hand-written English lines (``## split:`` sections);
* ``hard_heldout.tsv``: the hand-written hard set. It is read only by the evaluation and every
  training text equal to one of its lines is dropped, so training can never see it;
* ``blind_v3.tsv``: a second hand-written set, written (and committed on its own) before this
  round's new data and model existed; evaluation only, reported apart, never tuned on.
* ``blind_v4.tsv``: 427 natively written non-English prompts (session 9), written from the label
  rules alone; evaluation only, reported apart from v3.

Splits. ``train`` fits the weights; ``calib`` (never trained on) fits the softmax temperature and
the cost-matrix operating point; ``heldout`` (never trained or calibrated on) is what
``scripts/eval_router.py`` reports, next to the hard set. For hand-written lines the split comes
from a stable hash of the text (:func:`split_of`), for English templates from the template lists.

Labels (the order is the priority when one prompt asks several things, see :func:`most_demanding`):

1. ``crop``: the question names a region of the image (corners, halves, left/right person,
   background, sidebar, header). A region wins over reading or counting *inside* it.
2. ``transcode``: the text itself is the answer (read, transcribe, translate, summarise a document,
   what does the slide/letter/label say, read the error dialog).
3. ``preserve``: fine detail: counting, exact readings (clock, gauge), small scene text (plate,
   serial, price tag), small lights and indicators, defects, chess positions, exact chart values,
   and every agent ask that locates something to act on ("click Save", "x,y of the checkbox").
4. ``full_low``: the gist: what is this, scene, mood, big colours, captions, which app is open,
   did the page change; spatial words that name no region ("is there room at the top for a
   title", "which window is in front").

A multi-ask prompt takes the label of its most demanding ask (:func:`most_demanding`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if __name__ == "__main__":  # run by path: import from the repository root (scripts/__init__.py)
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from headroom_edge.router.combine import most_demanding  # noqa: E402
from headroom_edge.router.query import prepare  # noqa: E402

LABELS = ("full_low", "preserve", "crop", "transcode")
DATA_DIR = ROOT / "scripts" / "data" / "router"
EXAMPLES_FILE = ROOT / "scripts" / "router_examples.txt"
HARD_FILE = DATA_DIR / "hard_heldout.tsv"
BLIND_FILE = DATA_DIR / "blind_v3.tsv"
BLIND_V4_FILE = DATA_DIR / "blind_v4.tsv"
DEFAULT_SEED = 1234
TRAIN_PER_LABEL = 500
CALIB_PER_LABEL = 120
HELDOUT_PER_LABEL = 90
LANGUAGES = ("en", "es", "de", "fr", "pt", "zh", "ja", "hi", "ru", "it", "ko")


@dataclass(frozen=True)
class Example:
    text: str
    label: str
    source: str
    """"gen:<label>:<template>", "ml", "extra", "hand" or "hard"."""
    lang: str = "en"
    slice: str = "plain"
    """plain, buried, agent or formatted."""


@dataclass(frozen=True)
class Pool:
    train: tuple[str, ...]
    heldout: tuple[str, ...]

    def pick(self, rng: random.Random, split: str) -> str:
        return rng.choice(self.train if split != "heldout" else self.heldout)


def split_of(text: str) -> str:
    """Stable split of one hand-written line: 1 in 5 held out, 1 in 10 for calibration."""
    bucket = hashlib.sha256(text.strip().lower().encode("utf-8")).digest()[0] % 10
    return "heldout" if bucket < 2 else "calib" if bucket == 2 else "train"


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def read_tsv(path: Path, columns: int) -> list[list[str]]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != columns:
            raise ValueError(f"{path}:{number}: expected {columns} tab-separated columns")
        rows.append([p.replace("\\n", "\n") for p in parts])
    return rows


@dataclass(frozen=True)
class English:
    slots: dict[str, Pool]
    train_templates: dict[str, tuple[str, ...]]
    heldout_templates: dict[str, tuple[str, ...]]
    context: Pool
    chatter: Pool
    polite: Pool
    imperative_polite: Pool
    multi: Pool
    slang: tuple[tuple[str, tuple[str, ...]], ...]
    keyboard: dict[str, str]


def load_english(path: Path = DATA_DIR / "english.json") -> English:
    raw = json.loads(path.read_text(encoding="utf-8"))
    pool = lambda d: Pool(tuple(d["train"]), tuple(d["heldout"]))  # noqa: E731
    return English(
        slots={k: pool(v) for k, v in raw["slots"].items()},
        train_templates={k: tuple(v) for k, v in raw["train_templates"].items()},
        heldout_templates={k: tuple(v) for k, v in raw["heldout_templates"].items()},
        context=pool(raw["context"]), chatter=pool(raw["chatter"]), polite=pool(raw["polite_prefix"]),
        imperative_polite=pool(raw["imperative_polite"]), multi=pool(raw["multi_prefix"]),
        slang=tuple((p, tuple(c)) for p, c in raw["slang"]), keyboard=raw["keyboard"],
    )


_ALT = re.compile(r"\[([^\[\]]*)\]")
_SLOT = re.compile(r"\{(\w+)\}")
_IMPERATIVE_START = re.compile(
    r"^(?:describe|read|transcribe|count|tell|give|list|extract|translate|summari[sz]e|convert|identify|"
    r"find|check|write|caption|explain|compare|zoom|focus|look|copy|type|get|show|name|estimate)\b", re.I)


def _typo(word: str, rng: random.Random, keyboard: dict[str, str]) -> str:
    if len(word) < 4 or not word.isascii() or not word.isalpha():
        return word
    i = rng.randrange(1, len(word) - 1)
    op = rng.choice(("swap", "drop", "double", "near"))
    if op == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if op == "drop":
        return word[:i] + word[i + 1 :]
    if op == "double":
        return word[:i] + word[i] + word[i:]
    near = keyboard.get(word[i].lower())
    return word[:i] + rng.choice(near) + word[i + 1 :] if near else word


def expand(en: English, template: str, rng: random.Random, split: str) -> str:
    """Fill alternatives and slots (a filler may itself hold alternatives or slots)."""
    text = template
    for _ in range(4):
        text = _ALT.sub(lambda m: rng.choice(m.group(1).split("|")), text)
        text = _SLOT.sub(lambda m: en.slots[m.group(1)].pick(rng, split), text)
        if "[" not in text and "{" not in text:
            break
    return re.sub(r"\s+", " ", text).strip()


def stylise(en: English, text: str, rng: random.Random, split: str) -> str:
    """English style transforms: context, politeness, multi-image, chatter, casing, slang, typos."""
    if rng.random() < 0.10:
        text = en.multi.pick(rng, split) + " " + text[0].lower() + text[1:]
    if rng.random() < 0.22:
        wrapper = en.imperative_polite if _IMPERATIVE_START.match(text) else en.polite
        text = wrapper.pick(rng, split) + " " + text[0].lower() + text[1:]
    if not text.rstrip().endswith(("?", ".", "!")) and rng.random() < 0.5:
        text += "?" if re.match(r"^(?:what|how|is|are|who|where|which|does|do|any)\b", text, re.I) else "."
    if rng.random() < 0.28:
        text = " ".join(en.context.pick(rng, split) for _ in range(1 if rng.random() < 0.7 else 2)) + " " + text
    if rng.random() < 0.15:
        text = text + " " + en.chatter.pick(rng, split)
    text = text[0].upper() + text[1:] if rng.random() < 0.5 else text
    if rng.random() < 0.25:
        for pattern, choices in en.slang:
            if rng.random() < 0.35:
                text = re.sub(pattern, lambda m, c=choices: rng.choice(c), text, count=1, flags=re.IGNORECASE)
    r = rng.random()
    if r < 0.35:
        text = text.lower()
    elif r < 0.37:
        text = text.upper()
    if rng.random() < 0.25:
        text = text.rstrip("?.! ")
    if rng.random() < 0.25:
        words = text.split(" ")
        j = rng.randrange(len(words))
        words[j] = _typo(words[j], rng, en.keyboard)
        text = " ".join(words)
    return text


def generate_english(en: English, split: str, per_label: int, rng: random.Random) -> list[Example]:
    templates = en.heldout_templates if split == "heldout" else en.train_templates
    out: list[Example] = []
    for label in LABELS:
        seen: set[str] = set()
        tries = 0
        while len(seen) < per_label and tries < per_label * 20:
            tries += 1
            index = rng.randrange(len(templates[label]))
            text = stylise(en, expand(en, templates[label][index], rng, split), rng, split)
            if text.lower() not in seen:
                seen.add(text.lower())
                out.append(Example(text, label, f"gen:{label}:{index}"))
    return out


@dataclass(frozen=True)
class Styles:
    by_lang: dict[tuple[str, str], tuple[str, ...]]

    def get(self, lang: str, kind: str, split: str = "train") -> tuple[str, ...]:
        """The pieces of one language and kind for one split.

        Why per split: a held-out prompt wrapped in a backstory the model was trained on is not
        held out. Pieces are split by the same stable hash as lines (:func:`split_of`); held-out
        prompts use only held-out pieces, training and calibration the others (either side falls
        back to all pieces of that kind when it has none).
        """
        pieces = self.by_lang.get((lang, kind)) or self.by_lang[("en", kind)]
        held = split == "heldout"
        chosen = tuple(p for p in pieces if (split_of(p) == "heldout") == held)
        return chosen or pieces


def load_styles(path: Path = DATA_DIR / "styles.tsv") -> Styles:
    out: dict[tuple[str, str], list[str]] = {}
    for lang, kind, text in read_tsv(path, 3):
        out.setdefault((lang, kind), []).append(text)
    return Styles({k: tuple(v) for k, v in out.items()})


@dataclass(frozen=True)
class Line:
    lang: str
    label: str
    text: str
    slice: str


def load_lines() -> list[Line]:
    """Every hand-written line usable for training or evaluation (never the hard set)."""
    lines = [Line(lang, label, text, "plain") for lang, label, text in read_tsv(DATA_DIR / "multilingual.tsv", 3)]
    lines += [Line("en", label, text, "agent" if s == "agent" else "plain")
              for s, label, text in read_tsv(DATA_DIR / "english_extra.tsv", 3)]
    for split, rows in read_examples().items():
        lines += [Line("en", label, text, "plain" if split != "heldout" else "plain:heldout") for label, text in rows]
    for line in lines:
        if line.label not in LABELS:
            raise ValueError(f"unknown label {line.label!r} for {line.text!r}")
    return lines


def line_split(line: Line) -> str:
    if line.slice.endswith(":heldout"):
        return "heldout"
    return split_of(line.text)


_LOWER_SECOND = frozenset({"en", "es", "fr", "pt", "it", "ru"})
"""Languages whose second ask, joined after a comma or colon, starts in lower case (not German:
its nouns keep their capital, and not the scripts without case)."""


def _sep(lang: str) -> str:
    return "" if lang in ("zh", "ja") else " "


def compose(lines: list[Line], styles: Styles, rng: random.Random, copies: int, source: str,
            split: str = "train") -> list[Example]:
    """Each line as itself plus ``copies`` styled variants.

    Variants: buried (one to four backstory sentences before the ask: long prompts), formatted
    (an answer-format line after it, which never changes the label), multi-ask (two asks of one
    language joined, labelled by the more demanding one), agent (tool-result framing) and
    code-switched (an English backstory or format line around a non-English ask, as bilingual
    users write). Style pieces come from ``split``'s share only (:meth:`Styles.get`).
    """
    by_lang: dict[str, list[Line]] = {}
    for line in lines:
        by_lang.setdefault(line.lang, []).append(line)
    out: list[Example] = []
    for line in lines:
        base_slice = line.slice.split(":")[0]
        out.append(Example(line.text, line.label, source, line.lang, base_slice))
        sep = _sep(line.lang)
        for _ in range(copies):
            kind = rng.choice(("buried", "buried", "formatted", "multi",
                               "agent" if base_slice == "agent" else "buried",
                               "switch" if line.lang != "en" else "formatted"))
            if kind == "buried":
                n = 1 if rng.random() < 0.6 else 2 if rng.random() < 0.7 else 4
                pool = styles.get(line.lang, "context", split)
                ctx = sep.join(rng.sample(pool, min(n, len(pool))))
                out.append(Example(ctx + sep + line.text, line.label, source, line.lang, "buried"))
            elif kind == "formatted":
                fmt = rng.choice(styles.get(line.lang, "format", split))
                text = line.text + (sep if rng.random() < 0.5 else "\n") + fmt
                out.append(Example(text, line.label, source, line.lang, "formatted"))
            elif kind == "agent":
                frame = rng.choice(styles.get(line.lang, "agent", split))
                out.append(Example(frame + "\n" + line.text, line.label, source, line.lang, "agent"))
            elif kind == "switch":
                if rng.random() < 0.5:
                    ctx = rng.choice(styles.get("en", "context", split))
                    out.append(Example(ctx + " " + line.text, line.label, source, line.lang, "buried"))
                else:
                    fmt = rng.choice(styles.get("en", "format", split))
                    out.append(Example(line.text + " " + fmt, line.label, source, line.lang, "formatted"))
            else:
                others = [o for o in by_lang[line.lang] if o.text != line.text] or [line]
                other = rng.choice(others)
                a, b = (line, other) if rng.random() < 0.5 else (other, line)
                join = rng.choice(styles.get(line.lang, "join", split))
                second = b.text[0].lower() + b.text[1:] if line.lang in _LOWER_SECOND else b.text
                text = join.replace("{a}", a.text).replace("{b}", second)
                out.append(Example(text, most_demanding([a.label, b.label]), source, line.lang, "formatted"))
    return out


def backstory_only(styles: Styles, split: str) -> list[Example]:
    """Backstory sentences with no ask, alone and in pairs, labelled ``full_low``.

    Why: a long turn is split into token windows and the most demanding window decides
    (``headroom_edge.router.combine``). A window holding only backstory ("It's for an insurance
    claim, so it matters.") asks for nothing; unless the model learns that, such a window can
    outvote the real ask. ``full_low`` is the lowest priority, so it never does.
    """
    out = []
    for lang, kind in sorted(styles.by_lang):
        if kind != "context":
            continue
        own = styles.get(lang, "context", split)
        sep = _sep(lang)
        for i, piece in enumerate(own):
            out.append(Example(piece, "full_low", "context", lang, "buried"))
            out.append(Example(piece + sep + own[(i + 1) % len(own)], "full_low", "context", lang, "buried"))
    return out


def read_examples(path: Path = EXAMPLES_FILE) -> dict[str, list[tuple[str, str]]]:
    """The older hand-written file as {split: [(label, raw text), ...]}."""
    out: dict[str, list[tuple[str, str]]] = {}
    split = "train"
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if line.startswith("## split:"):
            split = line.split(":", 1)[1].strip()
            continue
        if not line or line.startswith("#"):
            continue
        label, _, text = line.partition("|")
        label, text = label.strip(), text.strip()
        if label not in LABELS or not text:
            raise ValueError(f"{path}:{number}: expected 'label | text', got {line!r}")
        out.setdefault(split, []).append((label, text))
    return out


def read_hard(path: Path = HARD_FILE, source: str = "hard") -> list[Example]:
    """A hand-written evaluation set (lang, slice, label, text): the hard set or the blind set."""
    return [Example(text, label, source, lang, slc) for lang, slc, label, text in read_tsv(path, 4)]


def read_blind(path: Path = BLIND_FILE) -> list[Example]:
    """The blind set v3 (evaluation only, reported apart from held-out and hard)."""
    return read_hard(path, source="blind")


def read_blind_v4(path: Path = BLIND_V4_FILE) -> list[Example]:
    """The blind set v4 (evaluation only, reported apart from v3)."""
    return read_hard(path, source="blind_v4")


@dataclass(frozen=True)
class Dataset:
    train: list[Example]
    calib: list[Example]
    heldout: list[Example]
    hard: list[Example]
    seed: int
    blind: list[Example] = field(default_factory=list)
    blind_v4: list[Example] = field(default_factory=list)

    def train_hash(self) -> str:
        """sha256 of the canonical training set: sorted "label\\ttext" lines, UTF-8."""
        lines = sorted(f"{e.label}\t{e.text}" for e in self.train)
        return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def _contains_any(text: str, prompts: set[str]) -> bool:
    """Is one of the (normalised) evaluation prompts inside this (normalised) training text?

    Why: a short evaluation prompt ("what does the letter say") can sit whole inside a longer
    generated training prompt; exact-match filtering alone would let it in.
    """
    return any(p in text for p in prompts)


def routed(rows: list[Example]) -> list[Example]:
    """Texts as the router sees them (:func:`headroom_edge.router.query.prepare`), empties dropped."""
    out = []
    for e in rows:
        text = prepare(e.text)
        if text:
            out.append(Example(text, e.label, e.source, e.lang, e.slice))
    return out


def build(seed: int = DEFAULT_SEED, train_per_label: int = TRAIN_PER_LABEL) -> Dataset:
    """The full, deterministic dataset for one seed."""
    en = load_english()
    styles = load_styles()
    hard, blind, blind_v4 = read_hard(), read_blind(), read_blind_v4()
    evaluation = {_norm(e.text) for e in hard + blind + blind_v4}
    # A hand-written line that equals an evaluation prompt is dropped before styling: its buried or
    # formatted variants would carry the evaluation prompt into training inside a longer text.
    lines = [ln for ln in load_lines() if _norm(ln.text) not in evaluation]
    parts = {s: [ln for ln in lines if line_split(ln) == s] for s in ("train", "calib", "heldout")}
    train = generate_english(en, "train", train_per_label, random.Random(seed))
    train += compose(parts["train"], styles, random.Random(seed + 1), copies=7, source="hand")
    train += backstory_only(styles, "train")
    calib = generate_english(en, "calib", CALIB_PER_LABEL, random.Random(seed + 2))
    calib += compose(parts["calib"], styles, random.Random(seed + 3), copies=3, source="hand", split="calib")
    heldout = generate_english(en, "heldout", HELDOUT_PER_LABEL, random.Random(seed + 4))
    heldout += compose(parts["heldout"], styles, random.Random(seed + 5), copies=3, source="hand", split="heldout")
    train, calib, heldout = routed(train), routed(calib), routed(heldout)
    forbidden = evaluation | {_norm(e.text) for e in heldout}
    inside = evaluation | {_norm(ln.text) for ln in parts["heldout"]}
    train = [e for e in train if _norm(e.text) not in forbidden and not _contains_any(_norm(e.text), inside)]
    train_texts = {_norm(e.text) for e in train}
    calib = [e for e in calib if _norm(e.text) not in train_texts and _norm(e.text) not in forbidden]
    heldout = [e for e in heldout if _norm(e.text) not in train_texts]
    random.Random(seed + 6).shuffle(train)
    return Dataset(train, calib, heldout, hard, seed, blind, blind_v4)


def write_jsonl(path: Path, rows: list[Example]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(asdict(row), ensure_ascii=False) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, help="folder for train/calib/heldout/hard jsonl")
    parser.add_argument("--show", type=int, default=0, help="print N random examples per split")
    args = parser.parse_args()
    data = build(args.seed)
    from collections import Counter

    for name in ("train", "calib", "heldout", "hard", "blind", "blind_v4"):
        rows = getattr(data, name)
        print(f"{name} {len(rows)} {dict(Counter(e.label for e in rows))} langs {dict(Counter(e.lang for e in rows))}")
    print(f"train sha256 {data.train_hash()}")
    if args.show:
        rng = random.Random(0)
        for name in ("train", "heldout"):
            rows = getattr(data, name)
            for e in rng.sample(rows, min(args.show, len(rows))):
                print(f"[{name}] {e.label:9s} {e.lang} {e.slice:9s} {e.text!r}")
    if args.out:
        for name in ("train", "calib", "heldout", "hard"):
            write_jsonl(args.out / f"{name}.jsonl", getattr(data, name))


if __name__ == "__main__":
    main()
