"""What of a user's message the router reads.

Why: real prompts are not clean questions. They carry system-prompt boilerplate ("You are a helpful
assistant..."), announcements ("Here is a photo from my trip."), pasted code, data URLs, long
backstories, several asks at once and trailing chatter, in any language. The router must never
lose the demanding clause ("Describe it, then read me the serial number"), so it routes on the
*whole* turn: :func:`prepare_sentences` only removes what is never part of an ask (code, links,
base64, tags; English system-prompt lines, greetings and thanks, which are recognisable) and keeps
every other sentence in order. Language-specific cleverness stops there: picking "the ask" with
English question words silently dropped Spanish or Japanese asks, so the model itself sees all
sentences; :class:`headroom_edge.router.model.QueryRouter` splits long turns into token windows
and keeps the most demanding window's decision.

The same function runs when the training data is built (scripts/router_data.py) and at routing
time, so the model is trained on exactly the text shape it is shown in production.

:func:`extract_ask` (the older English-only "last asking sentence" picker) stays for callers
that want a short display string; the router no longer routes on it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_MAX_WORDS = 40
"""Word budget of the routed text; the model's tokenizer truncates anything longer anyway."""

MAX_CONTEXT_SENTENCES = 2
"""How many sentences before the ask may be kept as context."""

_FENCED_CODE = re.compile(r"```.*?(```|$)", re.DOTALL)
_INLINE_CODE = re.compile(r"`[^`\n]{0,400}`")
_DATA_URL = re.compile(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=]*")
_URL = re.compile(r"\bhttps?://\S+|\bwww\.\S+")
_LONG_TOKEN = re.compile(r"\S{60,}")  # base64 blobs, hashes, minified junk
_HTML_TAG = re.compile(r"</?[a-zA-Z][^>]{0,200}>")
_SPACES = re.compile(r"[ \t\r\f\v]+")
_SENTENCE_SPLIT = re.compile(
    r"(?<=[.!?])[\"')\]»]*\s+|\n+|(?<=\?)(?=[A-Za-z])|(?<=[。！？!?।])[」』）\"']*"
)
"""Sentence ends: Latin punctuation followed by a space, CJK full stops and marks and the
Devanagari danda (no space follows those), and line breaks."""

_POLITE_LEAD = re.compile(
    r"^(?:(?:ok(?:ay)?|so|and|but|also|now|hey|hi|hello|yo|um+|uh+|well|then|quick q(?:uestion)?|"
    r"question|q|one more thing|btw|lastly|finally|first|next)\b[\s,:;.!-]*)*"
    r"(?:(?:please|pls|plz|pleeease|kindly)\b[\s,:;-]*)?"
    r"(?:(?:can|could|would|will|won't)\s+(?:you|u|ya)\s+(?:please\s+|pls\s+|kindly\s+|also\s+|just\s+)?|"
    r"(?:i\s+(?:need|want|would\s+like|'d\s+like|d\s+like|wanna)\s+(?:you\s+)?(?:to\s+)?)|"
    r"(?:help\s+me\s+(?:to\s+)?)|(?:mind\s+)|(?:i\s+was\s+wondering\s+)|(?:just\s+))?",
    re.IGNORECASE,
)

_QUESTION_WORDS = frozenset(
    "what what's whats wat wats which who whose whom where where's when why how how's hows is isn't "
    "are aren't was were do does did don't doesn't can could will would should shall any anything "
    "anyone anybody tell am has have".split()
)

_IMPERATIVE_VERBS = frozenset(
    """describe read transcribe count tell give list extract translate summarize summarise convert
    identify find check write caption explain compare zoom focus look ocr copy type get show name
    estimate determine inspect analyze analyse turn make generate spot detect locate crop examine
    rate classify say provide output return pull grab parse digitize digitise scan recognize
    recognise measure tally figure work tldr tl;dr sum recap render dump spell put fill export
    pick point see suggest label tag create assess evaluate verify confirm judge decode decipher
    interpret detail break outline enumerate itemize itemise jot note capture proofread paraphrase
    rewrite retype transcript copy-paste isolate magnify enhance review study""".split()
)

_ASK_PHRASES = re.compile(
    r"\b(?:i\s+(?:want|need|would\s+like|'d\s+like|d\s+like)\s+to\s+know|i\s+wonder|wondering|"
    r"i'm\s+curious|im\s+curious|curious\s+(?:what|how|if|whether|about)|"
    r"help\s+me\s+(?:figure|understand|read|find|identify|count|see)|"
    r"(?:need|want|looking\s+for)\s+(?:the|a|an|you|to)\b|no\s+idea\s+(?:what|how|if|who|where))",
    re.IGNORECASE,
)

_FORMAT_OR_CHATTER = re.compile(
    r"^(?:please\s+)?(?:(?:answer|respond|reply)\b|be\s+(?:brief|concise|short|precise|exact|"
    r"accurate|specific|honest|detailed|thorough)\b|keep\s+(?:it|the\s+answer)\b|"
    r"(?:use|in)\s+(?:bullet|one\s+word|a\s+few\s+words)|only\s+(?:give|answer|reply|respond|"
    r"output|return)\b|don'?t\s+(?:explain|elaborate)|no\s+(?:explanation|need)|"
    r"thanks?\b|thank\s+(?:you|u)|thx|ty\b|cheers|much\s+appreciated|appreciate|"
    r"(?:i\s+)?hope\s+(?:you|that|this)|have\s+a\s+(?:good|great|nice)|lol|lmao|haha|:\)|:d\b|"
    r"(?:can|could|would)\s+(?:you|u|anyone|somebody|someone)\s+(?:please\s+)?help(?:\s+me)?(?:\s+(?:out|here|with\s+(?:this|that|it)))?\s*[?.!]*$|"
    r"(?:please\s+|pls\s+)?help(?:\s+me)?(?:\s+please|\s+pls)?\s*[?.!]*$|any\s+(?:help|ideas?|thoughts?|clue)\b[^?]*[?.!]*$|"
    r"is\s+(?:that|this|it)\s+possible|does\s+(?:that|this)\s+make\s+sense|can\s+you\s+do\s+(?:that|this|it)\b)",
    re.IGNORECASE,
)

_SYSTEM_BOILERPLATE = re.compile(
    r"^(?:you\s+are\s+(?:a|an|the|my)\b|you're\s+(?:a|an)\b|as\s+an?\s+(?:ai|assistant|language)|"
    r"your\s+(?:task|job|role|goal)\s+is|you\s+will\s+be\s+(?:given|shown|provided)|"
    r"act\s+as\b|system\s*:|always\s+(?:answer|respond|be)\b|never\s+(?:reveal|make\s+up)|"
    r"follow\s+these\s+(?:rules|instructions))",
    re.IGNORECASE,
)

_ANNOUNCEMENT = re.compile(
    r"^(?:(?:ok|so|hi|hey|hello)[\s,!.]+)?(?:here\s+is|here's|heres|here\s+are|attached\s+(?:is|are)|"
    r"i(?:'ve|\s+have)?\s+(?:attached|uploaded|included|sent|shared)|i(?:'m|\s+am)\s+(?:sending|"
    r"attaching|sharing|uploading|posting)|see\s+(?:the\s+)?attached|sending\s+you|"
    r"this\s+is|these\s+are|below\s+is|above\s+is)\b[^?]*\b(?:photo|picture|image|pic|shot|snapshot|"
    r"selfie|snap|photos|pictures|images|pics|shots)\b[^?]*$",
    re.IGNORECASE,
)

_INFORMATIVE = re.compile(
    r"\b(?:receipt|invoice|document|doc|page|form|menu|letter|screenshot|scan|table|chart|graph|"
    r"sign|label|note|text|writing|written|corner|left|right|top|bottom|upper|lower|background|"
    r"foreground|center|centre|middle|half|third|edge|gauge|meter|clock|dial|serial|brand|price|"
    r"tag|plate|whiteboard|slide|poster|book|handwriting|handwritten|crack|scratch|damage|defect)\w*",
    re.IGNORECASE,
)

_GREETING_ONLY = re.compile(
    r"^(?:hi|hey|hello|yo|good\s+(?:morning|afternoon|evening)|greetings|dear\s+\w+|"
    r"hope\s+you(?:'re|\s+are)\s+well|quick\s+question|question|ok(?:ay)?|so)[\s,!.:;-]*"
    r"(?:there|all|team|folks|everyone|friend|buddy)?[\s,!.:;-]*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _Sentence:
    text: str
    ask: bool


def clean_text(text: str) -> str:
    """Remove what is never part of a question: code, data URLs, links, tags, runs of spaces."""
    text = _FENCED_CODE.sub(" ", text)
    text = _DATA_URL.sub(" ", text)
    text = _URL.sub(" ", text)
    text = _INLINE_CODE.sub(" ", text)
    text = _HTML_TAG.sub(" ", text)
    text = _LONG_TOKEN.sub(" ", text)
    text = _SPACES.sub(" ", text)
    return "\n".join(line.strip() for line in text.split("\n") if line.strip())


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_SPLIT.split(text) if s and s.strip()]


def _first_word(sentence: str) -> str:
    stripped = _POLITE_LEAD.sub("", sentence.strip().lstrip("-*•>#0123456789.)( \"'")).strip()
    match = re.match(r"[A-Za-z][A-Za-z';-]*", stripped)
    return match.group(0).lower() if match else ""


def is_ask(sentence: str) -> bool:
    """Does this sentence ask something: a question, a request, or an imperative?"""
    s = sentence.strip()
    if not s or _FORMAT_OR_CHATTER.match(s) or _SYSTEM_BOILERPLATE.match(s):
        return False
    if "?" in s:
        return True
    word = _first_word(s)
    if word in _QUESTION_WORDS or word in _IMPERATIVE_VERBS:
        return True
    lowered = s.lower()
    if re.match(r"^(?:please|pls|plz|kindly|can\s+you|could\s+you|would\s+you)\b", lowered):
        return True
    return bool(_ASK_PHRASES.search(s))


def is_boilerplate(sentence: str) -> bool:
    """System-prompt lines, greetings, chatter and generic "here is a photo" announcements."""
    s = sentence.strip()
    if not s:
        return True
    if _SYSTEM_BOILERPLATE.match(s) or _GREETING_ONLY.match(s):
        return True
    if _FORMAT_OR_CHATTER.match(s) and "?" not in s:
        return True
    return bool(_ANNOUNCEMENT.match(s)) and not _INFORMATIVE.search(s)


def _bounded(words: list[str], max_words: int, keep_tail: bool) -> list[str]:
    if len(words) <= max_words:
        return words
    return words[-max_words:] if keep_tail else words[:max_words]


def _bound_ask(sentence: str, max_words: int) -> str:
    """Shorten one over-long ask: keep the words up to its last '?', or its head if none."""
    words = sentence.split()
    if len(words) <= max_words:
        return sentence
    if "?" in sentence:
        last_q = max(i for i, w in enumerate(words) if "?" in w)
        return " ".join(_bounded(words[: last_q + 1], max_words, keep_tail=True))
    return " ".join(words[:max_words])


def extract_ask(text: str, max_words: int = DEFAULT_MAX_WORDS) -> str:
    """The part of ``text`` the router should classify; "" when nothing is left.

    Picks the last asking sentence (question mark, question word, request or imperative verb),
    prepends up to two non-boilerplate sentences right before it while the word budget allows, and
    drops whatever follows it (format instructions, thanks). Text without any asking sentence is
    routed on its last ``max_words`` words, boilerplate removed.
    """
    if not text or not text.strip():
        return ""
    sentences = [
        _Sentence(s, is_ask(s)) for s in split_sentences(clean_text(text)) if not is_boilerplate(s)
    ]
    if not sentences:
        # Everything looked like boilerplate ("Here is a photo."): route on what is there.
        words = clean_text(text).split()
        return " ".join(_bounded(words, max_words, keep_tail=True))
    ask_index = max((i for i, s in enumerate(sentences) if s.ask), default=None)
    if ask_index is None:
        words = " ".join(s.text for s in sentences).split()
        return " ".join(_bounded(words, max_words, keep_tail=True))
    ask = _bound_ask(sentences[ask_index].text, max_words)
    kept = [ask]
    budget = max_words - len(ask.split())
    for sentence in reversed(sentences[max(0, ask_index - MAX_CONTEXT_SENTENCES) : ask_index]):
        n = len(sentence.text.split())
        if n > budget:
            break
        kept.insert(0, sentence.text)
        budget -= n
    return " ".join(kept)


def prepare_sentences(text: str) -> list[str]:
    """The sentences of ``text`` the router reads, in order; [] when nothing is left.

    Removes code, links, data URLs and tags (:func:`clean_text`) and the English boilerplate
    :func:`is_boilerplate` recognises; keeps every other sentence, in every language, so no ask
    can be dropped. A text that is nothing but boilerplate ("Here is a photo.") is kept whole:
    routing on it is better than routing on nothing.
    """
    if not text or not text.strip():
        return []
    cleaned = clean_text(text)
    sentences = split_sentences(cleaned)
    kept = [s for s in sentences if not is_boilerplate(s)]
    return kept or sentences


def prepare(text: str) -> str:
    """:func:`prepare_sentences` joined by spaces: the text shape the model is trained on."""
    return " ".join(prepare_sentences(text))
