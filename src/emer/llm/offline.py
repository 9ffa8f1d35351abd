"""The offline backend: each LLM task done deterministically without a model.

- ``extract_ov_labels``: ``extractor="selector"`` (the default): lexicon candidates kept by a classifier
  fitted on the development split of the released outputs (:mod:`emer.labels.selector`), the labels a
  description concludes with; ``extractor="lexicon"``: every non-negated lexicon mention
  (:mod:`emer.labels.lexicon`, the extractor of the tables made before the selector existed). Either reads
  the description without the text that addresses the extractor (:mod:`emer.labels.injection`).
- ``merge_clues``: a template, the clue description followed by the subtitle (the description alone when
  the subtitle is empty) and, when the request carries one, a subtitle model's reading of it
  (:mod:`emer.clues.subtitle_model`). It adds no inference of its own.
- ``group_synonyms``: the emotion-wheel synonym mapping, WordNet or embeddings (:mod:`emer.labels.synonyms`).
- ``map_to_onehot``: lexicon labels -> wheel-1 inner ring (mad, disgusted -> angry; scared -> worried; ...),
  the most frequent class wins (the first named on a tie); ``neutral`` when no label maps.
- ``map_to_sentiment``: the offline sentiment mapping (:mod:`emer.labels.sentiment`); its reason (which
  labels counted which way) is in the answer's provenance.

It answers in the same text format a model would, so its answers go through the same parsers. Its answers
are computed, not recorded (``recorded = False``): they depend only on the code and the released data.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from emer.labels.injection import strip_instructions
from emer.labels.lexicon import EmotionLexicon, load_lexicon
from emer.labels.selector import SelectorExtractor, load_selector
from emer.labels.sentiment import SentimentMapper, load_sentiment_mapper
from emer.llm.interface import Answer, BackendError, GenerationSettings, Request
from emer.llm.prompts import ONEHOT_CLASSES

DataDir = str | os.PathLike | None
#: Wheel-1 inner ring -> MER2023 class.
WHEEL1_TO_ONEHOT = {
    "mad": "angry",
    "disgusted": "angry",
    "sad": "sad",
    "happy": "happy",
    "surprised": "surprise",
    "scared": "worried",
}
#: The offline OV-label extractors; the first is the default.
EXTRACTORS = ("selector", "lexicon")
SUBTITLE_SENTENCE = {"en": 'The subtitle of the clip reads: "{}"', "zh": "字幕内容为：“{}”。"}


def merge_template(description: str, subtitle: str, language: str = "en", reading: str = "") -> str:
    """The offline S2 merge: the description, then the subtitle quoted and the ``reading`` of it (a
    subtitle model's sentence, when given); unchanged when the subtitle is empty."""
    description, subtitle, reading = description.strip(), subtitle.strip(), reading.strip()
    if not subtitle:
        return description
    joiner = "" if language == "zh" else " "
    quoted = SUBTITLE_SENTENCE.get(language, SUBTITLE_SENTENCE["en"]).format(subtitle)
    return f"{description}{joiner}{quoted}" + (f"{joiner}{reading}" if reading else "")


class OfflineBackend:
    """Rule-based answers for the five tasks (see the module docstring)."""

    kind = "offline"
    recorded = False
    max_concurrency = 1
    batch_size = 1

    def __init__(
        self,
        data_dir: DataDir = None,
        lexicon: EmotionLexicon | None = None,
        grouping: str = "wheel",
        cache_dir: str | os.PathLike | None = None,
        keep_hedged: bool = True,
        threshold: float = 0.7,
        extractor: str = EXTRACTORS[0],
        selector: SelectorExtractor | None = None,
    ) -> None:
        if extractor not in EXTRACTORS:
            raise BackendError(f"offline extractor must be one of {list(EXTRACTORS)}, not {extractor!r}")
        self.data_dir = data_dir
        self.extractor = extractor
        if extractor == "selector" and lexicon is not None:
            raise BackendError("a lexicon is given but the extractor is 'selector'; pass extractor='lexicon'")
        if extractor == "selector":
            self.selector = selector if selector is not None else load_selector(data_dir)
            self.lexicon = self.selector.lexicon
            identity = self.selector.identity
        else:
            self.selector = None
            self.lexicon = lexicon if lexicon is not None else load_lexicon(data_dir)
            identity = self.lexicon.identity
        self.grouping = grouping
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.keep_hedged = keep_hedged
        self.threshold = threshold
        hedged = "" if keep_hedged else ",asserted-only"
        self.model = f"{identity}{hedged};grouping={grouping}"
        self._wheel1 = None
        self._sentiment: SentimentMapper | None = None

    def complete(self, request: Request, settings: GenerationSettings, timeout_s: float) -> Answer:
        inputs = request.inputs
        try:
            if request.task == "extract_ov_labels":
                text = self._labels(str(inputs["text"]), str(inputs.get("language", "auto")))
            elif request.task == "merge_clues":
                text = merge_template(
                    str(inputs["description"]),
                    str(inputs.get("subtitle", "")),
                    str(inputs.get("language", "en")),
                    str(inputs.get("reading", "")),
                )
            elif request.task == "group_synonyms":
                text = json.dumps(self._groups([str(w) for w in inputs["words"]]), ensure_ascii=False)
            elif request.task == "map_to_onehot":
                text = self._onehot(str(inputs["text"]), inputs.get("classes", ONEHOT_CLASSES))
            elif request.task == "map_to_sentiment":
                decision = self.sentiment_mapper.decide([str(x) for x in inputs["labels"]])
                mapper = self.sentiment_mapper.identity
                return Answer(decision.sentiment, {"rules": mapper, "reason": decision.reason})
            else:
                raise BackendError(f"the offline backend has no rule for task {request.task!r}")
        except KeyError as exc:
            raise BackendError(
                f"task {request.task!r}, sample {request.sample}: input {exc} missing"
            ) from None
        return Answer(text, {"rules": self.model})

    def complete_batch(
        self, requests: Sequence[Request], settings: GenerationSettings, timeout_s: float
    ) -> list[Answer]:
        return [self.complete(r, settings, timeout_s) for r in requests]

    @property
    def sentiment_mapper(self) -> SentimentMapper:
        """The offline sentiment mapping (loaded on first use)."""
        if self._sentiment is None:
            self._sentiment = load_sentiment_mapper(self.data_dir)
        return self._sentiment

    def extract(self, text: str, language: str = "auto") -> list[str]:
        """The chosen extractor's labels of one text, read without the parts that address the extractor
        (:func:`emer.labels.injection.strip_instructions`: "ignore the above", "Output: [...]")."""
        chosen = self.selector if self.selector is not None else self.lexicon
        return chosen.extract(strip_instructions(text), language, self.keep_hedged)

    def _labels(self, text: str, language: str) -> str:
        return json.dumps(self.extract(text, language), ensure_ascii=False)

    def _groups(self, words: list[str]) -> list[list[str]]:
        from emer.labels.synonyms import group_words

        return group_words(self.grouping, words, self.data_dir, self.cache_dir, self.threshold)

    def _onehot(self, text: str, classes: Any) -> str:
        from emer.labels.lexicon import is_chinese
        from emer.labels.parse import parse_label_list
        from emer.labels.synonyms import wheel_family

        if self._wheel1 is None:
            self._wheel1 = wheel_family(self.data_dir)
        stripped = text.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            labels = parse_label_list(stripped)
        else:
            labels = self.extract(text, "zh" if is_chinese(text) else "en")
        votes: dict[str, int] = {}
        for label in labels:
            cls = WHEEL1_TO_ONEHOT.get(self._wheel1(label) or "")
            if cls in classes:
                votes[cls] = votes.get(cls, 0) + 1
        if not votes:
            return "neutral" if "neutral" in classes else str(classes[0])
        return max(votes, key=lambda c: votes[c])  # dicts keep first-seen order: ties go to the first named
