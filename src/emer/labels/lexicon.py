"""An emotion lexicon built from the released emotion-wheel resources, and rule-based OV label extraction.

The English vocabulary is every word and word form of the emotion-wheel tables (``format.csv``: base word
-> word forms; the synonym table; the five wheels): a phrase found in a text is an emotion mention when it
(or its :mod:`simplemma` lemma) is a key of that vocabulary. A short Chinese table written for this project
maps common Chinese emotion words to English labels, so Chinese descriptions give English labels.

Each mention is classed by its clause context:

- ``negated``: a negator governs it in the same clause ("not angry", "no sign of fear", "without anger",
  "anger is absent"; 不/没有/毫无 before a Chinese word). Negated mentions never give a label.
- ``hedged``: an epistemic hedge governs it ("may be angry", "seems a bit worried", 可能/似乎).
- ``asserted``: anything else.

A label is extracted when at least one of its mentions is asserted (or hedged, unless ``keep_hedged`` is
off). One label is kept per base word: the first form seen, or its base word when that form is inflected
(adverbs, plurals, verb forms: "angrily", "worries", "relaxes").
The rules are fixed in the code and were not fitted to the gold labels.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache

import pandas as pd

from emer.data import data_path, data_root
from emer.labels.parse import normalise_label

DataDir = str | os.PathLike | None

RESOURCE_DIR = "MERTools/MER2025/MER2025_Track23/emotion_wheel"
FORMAT_FILES = {
    "MER2025": f"{RESOURCE_DIR}/format.csv",
    "MER2026": "MERTools/MER2026/MER2026_Track2/emotion_wheel/format.csv",
}
#: Bumped whenever the extraction rules change (it is part of the offline backend's cache identity).
LEXICON_VERSION = "lexicon-1"
STATUSES = ("asserted", "hedged", "negated")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Words of the wheel vocabulary that name the analysis rather than a state ("emotional", "facial"...).
#: They are never labels; calibration (:func:`calibrate_lexicon`) finds the less obvious ones.
META_WORDS = _words(
    """
    emotion emotions emotional emotionally feeling feelings feel feels felt mood moods state states
    expression expressions expressive facial face faces tone tones voice attitude sense person personal
    """
)
_NEGATORS = _words(
    """
    not no never nor neither none nobody nothing without lack lacks lacking lacked absence absent free
    devoid hardly barely n't cannot
    """
)
#: Multi-word negators ("rather than angry", "instead of", "far from", "no longer").
_NEGATOR_PHRASES = (("rather", "than"), ("instead", "of"), ("far", "from"), ("no", "longer"))
#: "not only X but also Y" does not negate X.
_NOT_NEGATING_NEXT = _words("only just merely simply")
#: Negation after the word, inside its clause ("anger is absent").
_POST_NEGATORS = _words("absent gone disappeared vanished lacking missing")
_HEDGES = _words(
    """
    may might could would possibly perhaps probably maybe likely unlikely seem seems seemed seeming
    appear appears appeared appearing suggest suggests suggested suggesting somewhat slightly hint tinge
    trace bit little mild mildly potentially presumably apparently
    """
)
_CLAUSE_BREAKS = _words("but however yet although though whereas while instead")
_NEGATION_WINDOW = 6
_HEDGE_WINDOW = 6
_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)*(?:-[a-z]+)*|[.,;:!?\"()]")
_PUNCT = frozenset('.,;:!?"()')
#: Tokens that are never emotion mentions themselves (negators like "absent" are in the wheel vocabulary).
_FUNCTION_WORDS = _NEGATORS | _POST_NEGATORS | _PUNCT

# --- Chinese ------------------------------------------------------------------------------------------
_ZH_TABLE = """
高兴 happy, 开心 happy, 快乐 happy, 欢乐 joyful, 喜悦 joyful, 欢快 cheerful, 愉快 pleasant, 愉悦 pleased,
兴高采烈 elated, 兴奋 excited, 激动 excited, 满意 satisfied, 满足 content, 欣慰 gratified, 轻松 relaxed,
放松 relaxed, 平静 calm, 冷静 calm, 平和 peaceful, 安心 reassured, 放心 relieved, 释然 relieved,
自信 confident, 骄傲 proud, 自豪 proud, 得意 smug, 期待 expectant, 希望 hopeful, 乐观 optimistic,
积极 positive, 感激 grateful, 感谢 grateful, 感动 moved, 温柔 gentle, 温和 gentle, 关心 caring,
关切 concerned, 同情 sympathetic, 钦佩 admiring, 欣赏 appreciative, 赞同 approving, 好奇 curious,
幽默 humorous, 调侃 teasing, 戏谑 teasing, 自嘲 self-deprecating, 俏皮 playful, 挑逗 flirtatious,
友好 friendly, 热情 enthusiastic, 亲切 amiable, 害羞 shy, 不好意思 embarrassed, 尴尬 embarrassed,
窘迫 embarrassed, 羞愧 ashamed, 惭愧 ashamed, 惊讶 surprised, 吃惊 surprised, 意外 surprised,
惊奇 amazed, 诧异 astonished, 震惊 shocked, 惊喜 delighted, 惊恐 terrified, 恐惧 fear, 害怕 afraid,
畏惧 fearful, 惊吓 frightened, 恐慌 panicked, 惊慌 panicked, 慌张 flustered, 慌乱 flustered,
担心 worried, 担忧 worried, 忧虑 anxious, 焦虑 anxious, 焦急 anxious, 着急 anxious, 紧张 nervous,
不安 uneasy, 烦躁 irritable, 暴躁 irritable, 厌烦 annoyed, 恼火 annoyed, 不耐烦 impatient,
不耐 impatient, 急躁 impatient, 生气 angry, 愤怒 angry, 气愤 indignant, 愤慨 indignant, 恼怒 irritated,
暴怒 furious, 震怒 furious, 不满 dissatisfied, 抱怨 complaining, 埋怨 complaining, 责备 reproachful,
指责 accusatory, 讽刺 sarcastic, 嘲讽 mocking, 嘲笑 mocking, 轻蔑 contemptuous, 鄙视 contemptuous,
不屑 disdainful, 厌恶 disgusted, 反感 averse, 挑衅 provocative, 威胁 threatening, 警告 warning,
严肃 serious, 坚定 determined, 决绝 resolute, 无奈 helpless, 无助 helpless, 无力 powerless,
困惑 confused, 迷茫 confused, 疑惑 puzzled, 不解 puzzled, 怀疑 doubtful, 疑虑 doubtful,
疑问 questioning, 质疑 skeptical, 不确定 uncertain, 犹豫 hesitant, 悲伤 sad, 伤心 sad, 难过 sad,
哀伤 sorrowful, 忧伤 sorrowful, 伤感 sentimental, 感慨 sentimental, 痛苦 pained, 悲痛 grief,
心痛 heartbroken, 失望 disappointed, 沮丧 frustrated, 绝望 despairing, 委屈 aggrieved, 遗憾 regretful,
后悔 regretful, 愧疚 guilty, 内疚 guilty, 孤独 lonely, 寂寞 lonely, 怀念 nostalgic, 思念 longing,
低落 dejected, 郁闷 depressed, 抑郁 depressed, 忧郁 melancholy, 消极 negative, 悲观 pessimistic,
冷漠 indifferent, 冷淡 cold, 疲惫 tired, 疲倦 tired, 无聊 bored, 厌倦 weary, 惋惜 pity, 嫉妒 jealous,
羡慕 envious, 警惕 vigilant, 谨慎 cautious, 专注 focused, 沉思 contemplative, 深思 thoughtful,
恐怖 horrified, 受惊 startled, 急切 eager
"""
#: Chinese emotion words -> English labels (written for this project; the longest match wins).
ZH_EMOTIONS: Mapping[str, str] = dict(
    tuple(item.split()) for item in _ZH_TABLE.replace("\n", " ").split(",") if item.strip()
)
_ZH_NEGATORS = tuple(
    sorted(_words("并没有 没有 并不 毫无 从不 不再 不是 不 没 无 未 非 别"), key=len, reverse=True)
)
_ZH_HEDGES = _words("可能 似乎 或许 也许 好像 仿佛 有些 有点 一丝 略微 稍微 略带 些许")
#: Words that start with a negator character but do not negate (非常 "very", 无比 "extremely", 不断 ...).
_ZH_NOT_NEGATORS = re.compile("非常|无比|无论|不禁|不断|不停|不得不|不由得|不仅|未免|特别|毫无疑问")
_ZH_BREAKS = re.compile(r"[，。；！？,.;!?]|但是|但|却|而是|然而")
_ZH_NEGATION_WINDOW = 5
_ZH_HEDGE_WINDOW = 8


@dataclass(frozen=True)
class Mention:
    """One emotion word found in a text."""

    surface: str  # as written (lower-case); Chinese: the Chinese word
    label: str  # the English label it gives
    base: str  # the base word it belongs to (deduplication key)
    start: int  # token index (English) or character offset (Chinese)
    status: str  # asserted | hedged | negated


@dataclass(frozen=True)
class EmotionLexicon:
    """Phrase -> base words (English, lower-case, straight apostrophes) and the Chinese table.

    ``excluded`` phrases are never mentions (nor is a word whose lemma is excluded). ``calibration``
    says how ``excluded`` was extended (see :func:`calibrate_lexicon`).
    """

    entries: Mapping[str, tuple[str, ...]]
    zh: Mapping[str, str] = field(default_factory=lambda: dict(ZH_EMOTIONS))
    excluded: frozenset[str] = frozenset()
    revision: str = "MER2026"
    calibration: str = "none"
    version: str = LEXICON_VERSION
    _spans: dict[str, int] = field(default_factory=dict, repr=False, compare=False)
    _zh_words: list[str] = field(default_factory=list, repr=False, compare=False)
    _memo: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for phrase in self.entries:
            first, n = phrase.split(" ", 1)[0], phrase.count(" ") + 1
            self._spans[first] = max(self._spans.get(first, 1), n)
        self._zh_words.extend(sorted(self.zh, key=lambda w: (-len(w), w)))

    @property
    def identity(self) -> str:
        """A short string that changes whenever the extraction would (for cache keys and provenance)."""
        digest = hashlib.sha256()
        for phrase in sorted(self.entries):
            digest.update(f"{phrase}\t{','.join(self.entries[phrase])}\n".encode())
        digest.update(("\n".join(sorted(self.excluded)) + json.dumps(dict(self.zh), sort_keys=True)).encode())
        return f"{self.version}/{self.revision}/{self.calibration}/{digest.hexdigest()[:12]}"

    def lookup(self, phrase: str) -> tuple[str, ...]:
        """Base words of a phrase (its lemma is tried when the phrase itself is not listed)."""
        return self._lookup(_key(phrase))

    def _lookup(self, key: str) -> tuple[str, ...]:
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = self._lookup_uncached(key)
        return found

    def _lookup_uncached(self, key: str) -> tuple[str, ...]:
        if key in self.excluded:
            return ()
        found = self.entries.get(key)
        if found is None and " " not in key:
            lemma = _lemma(key)
            if lemma != key and lemma not in self.excluded:
                found = self.entries.get(lemma)
        return found or ()

    def mentions(self, text: str, language: str = "en") -> list[Mention]:
        """Every emotion mention of ``text`` in order, each with its status (``language``: en, zh, auto)."""
        if language == "zh" or (language == "auto" and is_chinese(text)):
            return self._mentions_zh(text)
        return self._mentions_en(text)

    def extract(self, text: str, language: str = "en", keep_hedged: bool = True) -> list[str]:
        """Labels of ``text``: one per base word with a non-negated mention, in first-seen order."""
        allowed = {"asserted", "hedged"} if keep_hedged else {"asserted"}
        chosen: dict[str, str] = {}
        for mention in self.mentions(text, language):
            if mention.status in allowed and mention.base not in chosen:
                chosen[mention.base] = mention.label
        return list(dict.fromkeys(chosen.values()))

    # -- English --------------------------------------------------------------------------------------
    def _mentions_en(self, text: str, tokens: list[str] | None = None) -> list[Mention]:
        """English mentions; ``tokens``: the text already split by :func:`tokens_en`."""
        tokens = tokens_en(text) if tokens is None else tokens
        found: list[Mention] = []
        i = 0
        while i < len(tokens):
            match = None
            span = self._spans.get(tokens[i], 1) if tokens[i] not in _FUNCTION_WORDS else 0
            for n in range(min(span, len(tokens) - i), 0, -1):
                words = tokens[i : i + n]
                if n > 1 and any(w in _PUNCT for w in words):
                    continue
                phrase = " ".join(words)
                bases = self._lookup(phrase)
                if bases:
                    match = (n, phrase, bases)
                    break
            if match is None:
                i += 1
                continue
            n, phrase, bases = match
            inflected = phrase.endswith("ly") or _lemma(phrase) != phrase
            label = phrase if phrase in bases or " " in phrase or not inflected else bases[0]
            found.append(Mention(phrase, label, bases[0], i, _status_en(tokens, i, i + n)))
            i += n
        return found

    # -- Chinese --------------------------------------------------------------------------------------
    def _mentions_zh(self, text: str) -> list[Mention]:
        found: list[Mention] = []
        i = 0
        while i < len(text):
            word = next((w for w in self._zh_words if text.startswith(w, i)), None)
            if word is None:
                i += 1
                continue
            label = self.zh[word]
            found.append(Mention(word, label, label, i, _status_zh(text, i)))
            i += len(word)
        return found


@cache
def _key(phrase: str) -> str:
    return normalise_label(phrase).replace("’", "'")


@cache
def _lemma(word: str) -> str:
    import simplemma

    return str(simplemma.lemmatize(word, lang="en")).lower()


def tokens_en(text: str) -> list[str]:
    """Lower-case word and punctuation tokens of an English text."""
    return _TOKEN.findall(unicodedata.normalize("NFKC", text).lower().replace("’", "'"))


def is_chinese(text: str) -> bool:
    han = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    return han > len(text) / 4


def _clause_start(tokens: list[str], index: int) -> int:
    j = index
    while j > 0 and tokens[j - 1] not in _PUNCT and tokens[j - 1] not in _CLAUSE_BREAKS:
        j -= 1
    return j


def _clause_end(tokens: list[str], index: int) -> int:
    j = index
    while j < len(tokens) and tokens[j] not in _PUNCT and tokens[j] not in _CLAUSE_BREAKS:
        j += 1
    return j


def _status_en(tokens: list[str], start: int, end: int) -> str:
    """Negated, hedged or asserted, from the words of the clause around tokens[start:end]."""
    left = _clause_start(tokens, start)
    before = tokens[max(left, start - _HEDGE_WINDOW) : start]
    near = tokens[max(left, start - _NEGATION_WINDOW) : start]
    for k, word in enumerate(near):
        following = near[k + 1] if k + 1 < len(near) else tokens[start]
        if (word in _NEGATORS or word.endswith("n't")) and following not in _NOT_NEGATING_NEXT:
            return "negated"
    pairs = list(zip(near, near[1:], strict=False))
    if any(pair in _NEGATOR_PHRASES for pair in pairs):
        return "negated"
    after = tokens[end : _clause_end(tokens, end)][:4]
    if any(word in _POST_NEGATORS for word in after) or after[:2] in (["was", "not"], ["is", "not"]):
        return "negated"
    if any(word in _HEDGES for word in before):
        return "hedged"
    return "asserted"


def _status_zh(text: str, start: int) -> str:
    left = max(0, start - _ZH_HEDGE_WINDOW)
    breaks = list(_ZH_BREAKS.finditer(text, left, start))
    if breaks:
        left = breaks[-1].end()
    before = text[left:start]
    near = _ZH_NOT_NEGATORS.sub(lambda m: "·" * len(m.group(0)), before)[-_ZH_NEGATION_WINDOW:]
    if any(neg in near for neg in _ZH_NEGATORS):
        return "negated"
    if any(hedge in before for hedge in _ZH_HEDGES):
        return "hedged"
    return "asserted"


def _split_cell(cell: object) -> list[str]:
    if cell is None or (isinstance(cell, float) and cell != cell):
        return []
    return [_key(x) for x in str(cell).split(",") if x.strip()]


def _vocabulary(root: str, revision: str) -> dict[str, set[str]]:
    entries: dict[str, set[str]] = {}
    frame = pd.read_csv(data_path(FORMAT_FILES[revision], root), dtype=str, keep_default_na=False)
    for name, forms in zip(frame["name"], frame["format"], strict=True):
        base = _key(name)
        for form in [base, *_split_cell(forms)]:
            entries.setdefault(form, set()).add(base)
    synonyms = pd.read_excel(data_path(f"{RESOURCE_DIR}/synonym.xlsx", root), dtype=str)
    for column in synonyms.columns:
        for cell in synonyms[column]:
            for word in _split_cell(cell):
                entries.setdefault(word, {word})
    for k in range(1, 6):
        wheel = pd.read_excel(data_path(f"{RESOURCE_DIR}/wheel{k}.xlsx", root), dtype=str)
        for cell in wheel.to_numpy().ravel():
            for word in _split_cell(cell):
                entries.setdefault(word, {word})
    return entries


@cache
def _base_lexicon(root: str, revision: str, exclude: frozenset[str]) -> EmotionLexicon:
    entries = {
        phrase: tuple(sorted(bases))
        for phrase, bases in sorted(_vocabulary(root, revision).items())
        if len(phrase) > 2
    }
    return EmotionLexicon(entries=entries, excluded=exclude, revision=revision)


def label_rates(
    lexicon: EmotionLexicon, descriptions: Iterable[str], label_lists: Iterable[Iterable[str]]
) -> pd.DataFrame:
    """How often each phrase, when a description mentions it (not negated), is among the labels
    extracted from that description (as the same base word).

    Columns: phrase, n_described, n_labelled, rate; sorted by phrase.
    """
    described: dict[str, int] = {}
    labelled: dict[str, int] = {}
    for text, labels in zip(descriptions, label_lists, strict=True):
        label_bases = {base for label in labels for base in lexicon.lookup(str(label))}
        phrases = {m.surface for m in lexicon.mentions(str(text)) if m.status != "negated"}
        for phrase in phrases:
            described[phrase] = described.get(phrase, 0) + 1
            if label_bases.intersection(lexicon.lookup(phrase)):
                labelled[phrase] = labelled.get(phrase, 0) + 1
    rows = [
        {"phrase": p, "n_described": n, "n_labelled": labelled.get(p, 0), "rate": labelled.get(p, 0) / n}
        for p, n in sorted(described.items())
    ]
    return pd.DataFrame(rows, columns=["phrase", "n_described", "n_labelled", "rate"])


def calibrate_lexicon(
    lexicon: EmotionLexicon, rates: pd.DataFrame, min_rate: float = 0.1, min_support: int = 5, name: str = ""
) -> EmotionLexicon:
    """The lexicon with every phrase excluded that was described at least ``min_support`` times but
    labelled in less than ``min_rate`` of them (``rates`` from :func:`label_rates`)."""
    drop = rates[(rates["n_described"] >= min_support) & (rates["rate"] < min_rate)]["phrase"]
    return EmotionLexicon(
        entries=lexicon.entries,
        zh=lexicon.zh,
        excluded=lexicon.excluded | frozenset(drop),
        revision=lexicon.revision,
        calibration=name or f"rate>={min_rate},n>={min_support}",
    )


@cache
def _calibrated(root: str, revision: str, exclude: frozenset[str], min_rate: float, min_support: int):
    from emer.data import load_system_outputs

    base = _base_lexicon(root, revision, exclude)
    outputs = load_system_outputs(root)
    rates = label_rates(base, outputs["description"], outputs["labels"])
    name = f"released-outputs:rate>={min_rate},n>={min_support}"
    return calibrate_lexicon(base, rates, min_rate, min_support, name), rates


def load_lexicon(
    data_dir: DataDir = None,
    revision: str = "MER2026",
    exclude: Iterable[str] = META_WORDS,
    calibrate: bool = True,
    min_rate: float = 0.1,
    min_support: int = 5,
) -> EmotionLexicon:
    """The emotion lexicon of the released wheel resources (cached per data directory and options).

    ``revision`` picks the ``format.csv`` revision (MER2026 drops 17 spurious word forms); ``exclude``
    removes phrases that are never labels. With ``calibrate`` the phrases that the released OV-MER
    outputs (10 MLLMs x 3 settings: descriptions and the labels the authors' LLM extracted from them)
    almost never label are excluded too (:func:`label_rates`, :func:`calibrate_lexicon`). The gold
    labels are never used.
    """
    if revision not in FORMAT_FILES:
        raise ValueError(f"revision must be one of {sorted(FORMAT_FILES)}, not {revision!r}")
    root, _ = data_root(data_dir)
    excluded = frozenset(_key(x) for x in exclude)
    if not calibrate:
        return _base_lexicon(str(root), revision, excluded)
    return _calibrated(str(root), revision, excluded, float(min_rate), int(min_support))[0]


def lexicon_label_rates(
    data_dir: DataDir = None, revision: str = "MER2026", min_rate: float = 0.1, min_support: int = 5
) -> pd.DataFrame:
    """The label rates behind the default calibrated lexicon (for inspection)."""
    root, _ = data_root(data_dir)
    excluded = frozenset(_key(x) for x in META_WORDS)
    return _calibrated(str(root), revision, excluded, float(min_rate), int(min_support))[1]
