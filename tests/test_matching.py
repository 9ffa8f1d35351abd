"""Matching-based metrics: hand-made cases, equality with pycocoevalcap, Chinese, no Java, no network.

The English case starts one METEOR jar (~15 s: it loads the paraphrase table) and loads the sentence
encoder once (~12 s); everything else is cheap.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emer.data import load_emer_v2, load_system_outputs
from emer.metrics import matching as m

GOLD_EN = {
    "s1": "In the video, the woman smiles warmly at the camera. She seems happy and relaxed.",
    "s2": "The man frowns and shouts; he is clearly angry about the delay.",
    "s3": "In the audio, her voice trembles, which suggests she is worried.",
    "s4": "He laughs loudly, so he is probably amused and cheerful.",
}
PRED_EN = {
    "s1": GOLD_EN["s1"],  # identical
    "s2": "Purple bicycles orbit distant volcanoes quietly.",  # no shared token, stem, synonym or phrase
    "s3": "",  # empty answer
    "s4": "He laughs, so he is happy.",  # partial overlap
}


def _frame(preds: dict[str, str], system: str = "A", setting: str = "S0") -> pd.DataFrame:
    return pd.DataFrame(
        {"system": system, "setting": setting, "sample": list(preds), "description": list(preds.values())}
    )


# ---------------------------------------------------------------------------------------------- network guard


def _is_local(address: object) -> bool:
    """True for a Unix socket path or a loopback host."""
    if isinstance(address, (str, bytes)):
        return True
    host = address[0] if isinstance(address, tuple) and address else None
    if host in ("localhost", "", None):
        return host is not None
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class NetworkGuard:
    """Records and refuses every non-loopback connect and host lookup made from Python."""

    def __init__(self) -> None:
        self.attempts: list[str] = []

    def install(self, patch: pytest.MonkeyPatch) -> None:
        real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
        real_getaddrinfo = socket.getaddrinfo

        def refuse(what: str) -> None:
            self.attempts.append(what)
            raise ConnectionRefusedError(f"network access blocked in tests: {what}")

        def connect(sock: socket.socket, address: object) -> None:
            if not _is_local(address):
                refuse(f"connect {address!r}")
            return real_connect(sock, address)

        def connect_ex(sock: socket.socket, address: object) -> int:
            if not _is_local(address):
                refuse(f"connect_ex {address!r}")
            return real_connect_ex(sock, address)

        def getaddrinfo(host: object, *args: object, **kwargs: object) -> list:
            if not _is_local((host,)):
                refuse(f"getaddrinfo {host!r}")
            return real_getaddrinfo(host, *args, **kwargs)

        patch.setattr(socket.socket, "connect", connect)
        patch.setattr(socket.socket, "connect_ex", connect_ex)
        patch.setattr(socket, "getaddrinfo", getaddrinfo)


def test_guard_classifies_addresses() -> None:
    assert _is_local(("127.0.0.1", 80)) and _is_local(("::1", 80, 0, 0)) and _is_local("/tmp/socket")
    assert _is_local(("localhost", 8888))
    assert not _is_local(("huggingface.co", 443)) and not _is_local(("10.0.0.1", 80))


@pytest.fixture(scope="module")
def english() -> Iterator[tuple[pd.DataFrame, NetworkGuard]]:
    """Scores of the hand-made English cases (two systems), computed with the network guard on."""
    guard = NetworkGuard()
    with pytest.MonkeyPatch.context() as patch:
        guard.install(patch)
        for variable in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):  # the loader must keep itself offline
            patch.delenv(variable, raising=False)
        encoder = m.load_sentence_encoder()
        other = {s: GOLD_EN[s].split(",")[0] for s in GOLD_EN}  # system B: a clause of each gold text
        predictions = pd.concat([_frame(PRED_EN), _frame(other, system="B")], ignore_index=True)
        scores = m.matching_scores(predictions, GOLD_EN, "en", encoder=encoder)
    yield scores, guard


def test_nothing_reaches_the_network(english: tuple[pd.DataFrame, NetworkGuard]) -> None:
    _, guard = english
    assert guard.attempts == []


def _row(scores: pd.DataFrame, sample: str, system: str = "A") -> pd.Series:
    return scores[(scores["system"] == system) & (scores["sample"] == sample)].iloc[0]


def test_table_shape(english: tuple[pd.DataFrame, NetworkGuard]) -> None:
    scores, _ = english
    assert list(scores.columns) == m.PER_SAMPLE_COLUMNS
    assert scores[["system", "sample"]].values.tolist() == [[s, x] for s in "AB" for x in sorted(GOLD_EN)]
    assert set(scores["language"]) == {"en"} and set(scores["setting"]) == {"S0"}


def test_identical_text_scores_one(english: tuple[pd.DataFrame, NetworkGuard]) -> None:
    row = _row(english[0], "s1")
    for column in [*m.BLEU_COLUMNS, "meteor", "rouge_l", "similarity"]:
        assert row[column] == pytest.approx(1.0, abs=1e-6), column
    assert row["cider"] > _row(english[0], "s4")["cider"] > 0


def test_disjoint_and_empty_texts_score_zero(english: tuple[pd.DataFrame, NetworkGuard]) -> None:
    for sample in ("s2", "s3"):
        row = _row(english[0], sample)
        for column in [*m.BLEU_COLUMNS, "meteor", "rouge_l", "cider"]:
            assert row[column] == pytest.approx(0.0, abs=1e-6), (sample, column)
    assert _row(english[0], "s3")["similarity"] == 0.0
    assert _row(english[0], "s3")["pred_tokens"] == 0
    assert _row(english[0], "s2")["similarity"] < 0.3


def test_partial_overlap_is_between(english: tuple[pd.DataFrame, NetworkGuard]) -> None:
    row = _row(english[0], "s4")
    for column in ["bleu_1", "bleu_2", "meteor", "rouge_l", "similarity"]:
        assert 0.05 < row[column] < 0.95, column
    assert row["bleu_1"] >= row["bleu_2"] >= row["bleu_3"] >= row["bleu_4"]
    assert row["pred_tokens"] == 6 and row["bleu_match_1"] == 5  # "he laughs so he is happy" vs the gold


def test_meteor_formula_matches_jar_per_segment(english: tuple[pd.DataFrame, NetworkGuard]) -> None:
    scores, _ = english
    for stats, score in zip(scores["meteor_stats"], scores["meteor"], strict=True):
        assert m.meteor_from_stats([stats], "en") == pytest.approx(score, abs=1e-12)


def test_system_table(english: tuple[pd.DataFrame, NetworkGuard]) -> None:
    from pycocoevalcap.bleu.bleu import Bleu

    scores, _ = english
    table = m.matching_system_table(scores)
    assert table["system"].tolist() == ["A", "B"] and table["n_samples"].tolist() == [4, 4]
    assert list(table.columns) == [
        "system",
        "setting",
        "language",
        "n_samples",
        *m.METRICS,
        *m.CORPUS_COLUMNS,
    ]
    a = scores[scores["system"] == "A"]
    assert table.loc[0, "rouge_l"] == pytest.approx(a["rouge_l"].mean())
    tokens = m.tokenize_english(list(GOLD_EN.values()) + list(PRED_EN.values()))
    gts = {i: [tokens[i]] for i in range(4)}
    res = {i: [tokens[4 + i]] for i in range(4)}
    corpus, per_sample = Bleu(4).compute_score(gts, res, verbose=0)
    assert table.loc[0, m.CORPUS_COLUMNS[:4]].tolist() == pytest.approx(corpus, abs=1e-15)
    np.testing.assert_allclose(a[m.BLEU_COLUMNS].to_numpy().T, np.array(per_sample), rtol=0, atol=1e-15)
    assert table.loc[0, "meteor_corpus"] == pytest.approx(
        m.meteor_from_stats(a["meteor_stats"].tolist(), "en")
    )


# ---------------------------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def real_pairs(data_dir: Path) -> tuple[list[str], list[str], list[str], list[str]]:
    """40 released outputs (Otter, S2) with their cleaned gold texts, raw and PTB-tokenised."""
    outputs = load_system_outputs(data_dir)
    rows = outputs[(outputs["system"] == "Otter") & (outputs["setting"] == "S2")].iloc[:40]
    gold = m.gold_descriptions(load_emer_v2(data_dir), "en")
    preds, golds = rows["description"].tolist(), [gold[s] for s in rows["sample"]]
    tokens = m.tokenize_english(preds + golds)
    return preds, golds, tokens[:40], tokens[40:]


def test_tokenizer_matches_pycocoevalcap(real_pairs: tuple) -> None:
    from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer

    preds, _, tokens, _ = real_pairs
    reference = PTBTokenizer().tokenize({i: [{"caption": t}] for i, t in enumerate(preds[:10])})
    assert [reference[i][0] for i in range(10)] == tokens[:10]


def test_bleu_rouge_cider_match_pycocoevalcap(real_pairs: tuple) -> None:
    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.rouge.rouge import Rouge

    _, _, preds, golds = real_pairs
    gts, res = {i: [g] for i, g in enumerate(golds)}, {i: [p] for i, p in enumerate(preds)}
    bleu = m.bleu_scores(preds, golds)
    corpus, per_sample = Bleu(4).compute_score(gts, res, verbose=0)
    np.testing.assert_allclose(bleu[m.BLEU_COLUMNS].to_numpy().T, np.array(per_sample), rtol=1e-12, atol=0)
    assert list(m.corpus_bleu(bleu).values()) == pytest.approx(corpus, rel=1e-12)
    _, rouge = Rouge().compute_score(gts, res)
    assert m.rouge_l_scores(preds, golds) == pytest.approx(rouge, rel=1e-12)
    _, cider = Cider().compute_score(gts, res)
    assert m.cider_d_scores(preds, golds) == pytest.approx(cider, rel=1e-9, abs=1e-15)


def test_lcs_against_dynamic_programming() -> None:
    from pycocoevalcap.rouge.rouge import my_lcs

    rng = np.random.default_rng(0)
    for _ in range(200):
        a = [str(x) for x in rng.integers(0, 5, rng.integers(0, 30))]
        b = [str(x) for x in rng.integers(0, 5, rng.integers(0, 30))]
        assert m.lcs_length(a, b) == my_lcs(a, b)


# ---------------------------------------------------------------------------------------------- Chinese


def test_chinese_segmentation() -> None:
    assert m.tokenize_chinese(["他看起来很高兴。", "她说：“我很生气！”"]) == [
        "他 看起来 很 高兴",
        "她 说 我 很 生气",
    ]


def test_chinese_scores() -> None:
    gold = {
        "a": "在视频中，他面带微笑，看起来很高兴。",
        "b": "她的声音颤抖，似乎非常担心。",
        "c": "他皱着眉头，显得很生气。",
    }
    pred = {"a": gold["a"], "b": "天空下着大雨。", "c": "他皱着眉头，显得很难过。"}
    scores = m.matching_scores(_frame(pred, system="V", setting="v1"), gold, "zh")
    a, b, c = (scores[scores["sample"] == s].iloc[0] for s in "abc")
    for column in [*m.BLEU_COLUMNS, "meteor", "rouge_l"]:
        assert a[column] == pytest.approx(1.0, abs=1e-6)
        assert b[column] == pytest.approx(0.0, abs=1e-6)
    # 他 皱着眉头 显得 很 生气 / 难过: 4 of 5 words match in one chunk
    assert m.tokenize_chinese([pred["c"]]) == ["他 皱着眉头 显得 很 难过"]
    assert c["bleu_1"] == pytest.approx(0.8) and c["rouge_l"] == pytest.approx(0.8)
    assert c["meteor"] == pytest.approx(0.8 * (1 - 0.6 * (1 / 4) ** 0.2), abs=1e-12)
    assert scores["similarity"].isna().all()
    table = m.matching_system_table(scores)
    assert table.loc[0, "language"] == "zh"
    with m.MeteorProcess("zh") as meteor:
        _, aggregate = meteor.evaluate(scores["meteor_stats"].tolist())
    assert table.loc[0, "meteor_corpus"] == pytest.approx(aggregate, abs=1e-12)


# ---------------------------------------------------------------------------------------------- errors, cache


def test_missing_java_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(m.JavaNotFoundError, match="openjdk-17-jre-headless"):
        m.tokenize_english(["a text"])
    with pytest.raises(m.JavaNotFoundError, match="java"):
        m.MeteorProcess("en")
    with pytest.raises(m.JavaNotFoundError):
        m.matching_scores(_frame({"s1": "a text"}), {"s1": "a gold text"}, "en")


def test_input_errors_name_the_row() -> None:
    with pytest.raises(KeyError, match="system A, setting S0: no prediction for 1 gold sample"):
        m.matching_scores(_frame({"s1": "x"}), {"s1": "x", "s2": "y"}, "en")
    with pytest.raises(TypeError, match="sample s1: description is None"):
        m.matching_scores(_frame({"s1": None}), {"s1": "x"}, "en")
    with pytest.raises(KeyError, match=r"no gold description, first \['s9'\]"):
        m.matching_scores(_frame({"s9": "x"}), {"s1": "x"}, "en")
    with pytest.raises(ValueError, match="appears more than once"):
        m.matching_scores(pd.concat([_frame({"s1": "x"})] * 2), {"s1": "x"}, "en")
    with pytest.raises(ValueError, match="language must be one of"):
        m.matching_scores(_frame({"s1": "x"}), {"s1": "x"}, "fr")


def test_gold_descriptions_clean_english(data_dir: Path) -> None:
    gold = m.gold_descriptions(load_emer_v2(data_dir), "en")
    assert len(gold) == 332 and not any(t.startswith("Input:") or "Output:" in t for t in gold.values())
    assert len(m.gold_descriptions(load_emer_v2(data_dir), "zh")) == 332


def test_meteor_cache_skips_the_jar(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    first = m.meteor_scores(
        ["他 很 高兴", "她 很 生气"], ["他 很 高兴", "她 很 担心"], "zh", cache_dir=tmp_path
    )
    assert (tmp_path / "meteor-zh.json").is_file()
    monkeypatch.setenv("PATH", str(tmp_path))  # no java now: every answer must come from the cache
    again = m.meteor_scores(["她 很 生气"], ["她 很 担心"], "zh", cache_dir=tmp_path, workers=2)
    assert again.iloc[0].tolist() == first.iloc[1].tolist()


class _NoisyModel:
    """A stand-in sentence model: exact float64 embeddings of each text (seeded by the text); in float32 it
    adds relative noise of ``noise`` seeded by ``cpu``, as another CPU's float32 kernels would."""

    def __init__(self, cpu: int, noise: float = 1e-6, dim: int = 8) -> None:
        self.cpu, self.noise, self.dim, self.precision = cpu, noise, dim, "float32"

    def get_sentence_embedding_dimension(self) -> int:
        return self.dim

    def double(self) -> _NoisyModel:
        self.precision = "float64"
        return self

    def encode(self, texts: list[str], **_: object) -> np.ndarray:
        seeds = [int.from_bytes(t.encode("utf-8")[:8].ljust(8, b"\0"), "little") + len(t) for t in texts]
        exact = np.stack([np.random.default_rng(s).normal(size=self.dim) for s in seeds])
        exact[:, 0] += 2.0  # cosines spread over about (0.2, 1)
        exact /= np.linalg.norm(exact, axis=1, keepdims=True)
        if self.precision == "float64":
            return exact
        noise = np.random.default_rng([self.cpu, len(texts)]).normal(size=exact.shape) * self.noise
        return (exact * (1 + noise)).astype(np.float32)


def _noisy_pairs(n: int = 3000) -> tuple[list[str], list[str]]:
    return [f"p{i:05d}" for i in range(n)], [f"g{i % 97:05d}" for i in range(n)]


def test_similarity_survives_other_cpus_float32_noise() -> None:
    preds, golds = _noisy_pairs()
    one, other = (m.SentenceEncoder(_NoisyModel(cpu)).similarity(preds, golds) for cpu in (1, 2))
    assert one.tolist() == other.tolist()
    exact = m.SentenceEncoder(_NoisyModel(0).double())
    vectors = exact.model.encode(preds), exact.model.encode(golds)
    assert one.tolist() == np.round((vectors[0] * vectors[1]).sum(axis=1), m.SIMILARITY_DECIMALS).tolist()
    near = m._near_rounding_boundary((vectors[0] * vectors[1]).sum(axis=1), 3, m.SIMILARITY_GUARD)
    assert 10 < near.sum() < 200  # the float64 path was taken for about 2% of the pairs


def test_near_rounding_boundary() -> None:
    values = np.array([0.1235, 0.12348, 0.1234951, 0.123495, -0.0005, 0.5])
    assert m._near_rounding_boundary(values, 3, 1e-5).tolist() == [True, False, True, True, True, False]


def test_real_similarity_is_the_rounded_float64_cosine() -> None:
    encoder = m.load_sentence_encoder()
    preds = [PRED_EN["s2"], PRED_EN["s4"], "She is sad."]
    golds = [GOLD_EN["s2"], GOLD_EN["s4"], GOLD_EN["s3"]]
    exact = encoder.encode([*preds, *golds], precision="float64")
    cosine = (exact[:3] * exact[3:]).sum(axis=1)
    assert encoder.similarity(preds, golds).tolist() == np.round(cosine, m.SIMILARITY_DECIMALS).tolist()
