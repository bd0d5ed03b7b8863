"""`newsloom eval cluster`: document-to-story clustering on ECB+.

Gold is `story` (topic + subtopic: two different real events on one theme). The
headline runs the streaming `StoryIndex` with its shipped settings (chosen on the
dev topics 1-35; `scripts/cluster_ablation.py` shows the choices); the baselines
pick their threshold on dev here too and are then scored on the requested split.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Sequence
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np

from newsloom.cluster import Features, Settings, article_features, cluster_articles
from newsloom.evaluate import EvalResult, prf, require, require_items
from newsloom.models import Article, Sentence
from newsloom.nlp import load_embedder

DEV_TOPICS = range(1, 36)
TEST_TOPICS = range(36, 46)
SPLITS = ("all", "dev", "test")
_SENT = re.compile(r"[^.!?]+(?:[.!?]+[\"”’)]*|$)")


def load_docs(data: Path, limit: int | None = None) -> list[dict[str, Any]]:
    with require(data).open(encoding="utf-8") as fh:
        docs = [json.loads(line) for line in fh if line.strip()]
    return require_items(docs[:limit] if limit else docs, data, "JSON lines")


def load_articles(
    data: Path, limit: int | None = None
) -> tuple[list[dict[str, Any]], list[Article]]:
    """The ECB+ documents and the articles made from them (EvalDataMissing if absent)."""
    docs = load_docs(data, limit)
    return docs, [to_article(d) for d in docs]


def in_split(doc: dict[str, Any], split: str) -> bool:
    topic = int(doc["topic"])
    if split == "dev":
        return topic in DEV_TOPICS
    if split == "test":
        return topic in TEST_TOPICS
    return True


def to_article(doc: dict[str, Any]) -> Article:
    """Lines are paragraphs; sentences by a simple punctuation split (ECB+ is clean text)."""
    text = doc["text"]
    sentences: list[Sentence] = []
    offset = 0
    for para, line in enumerate(text.split("\n")):
        for m in _SENT.finditer(line):
            chunk = m.group(0)
            stripped = chunk.strip()
            if stripped:
                start = offset + m.start() + (len(chunk) - len(chunk.lstrip()))
                sentences.append(
                    Sentence(len(sentences), stripped, start, start + len(stripped), para)
                )
        offset += len(line) + 1
    return Article(id=doc["id"], text=text, source="ecbplus", sentences=sentences)


# -- metrics ----------------------------------------------------------------------------


def bcubed(pred: Sequence[str], gold: Sequence[str]) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1 (per-item averages)."""
    pair = Counter(zip(pred, gold, strict=True))
    psize, gsize = Counter(pred), Counter(gold)
    p = sum(pair[(a, b)] / psize[a] for a, b in zip(pred, gold, strict=True)) / len(pred)
    r = sum(pair[(a, b)] / gsize[b] for a, b in zip(pred, gold, strict=True)) / len(pred)
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def pairwise(pred: Sequence[str], gold: Sequence[str]) -> tuple[float, float, float]:
    tp = fp = fn = 0
    for (p1, g1), (p2, g2) in combinations(zip(pred, gold, strict=True), 2):
        same_p, same_g = p1 == p2, g1 == g2
        tp += same_p and same_g
        fp += same_p and not same_g
        fn += same_g and not same_p
    return prf(tp, fp, fn)


def all_metrics(prefix: str, pred: Sequence[str], gold: Sequence[str]) -> dict[str, float]:
    from sklearn.metrics import v_measure_score

    bp, br, bf = bcubed(pred, gold)
    pp, pr, pf = pairwise(pred, gold)
    return {
        f"{prefix}bcubed_f1": bf,
        f"{prefix}bcubed_p": bp,
        f"{prefix}bcubed_r": br,
        f"{prefix}pairwise_f1": pf,
        f"{prefix}pairwise_p": pp,
        f"{prefix}pairwise_r": pr,
        f"{prefix}v_measure": float(v_measure_score(gold, pred)),
    }


# -- systems ----------------------------------------------------------------------------


def stream_labels(
    arts: list[Article], feats: list[Features], settings: dict[str, Any]
) -> list[str]:
    by_id = {f.article_id: f for f in feats}
    stories = cluster_articles(arts, None, features=[by_id[a.id] for a in arts], **settings)
    label = {aid: s.id for s in stories for aid in s.article_ids}
    return [label[a.id] for a in arts]


def agglomerative_labels(distances: np.ndarray, threshold: float) -> list[str]:
    """Average-link clustering on a precomputed distance matrix, cut at `threshold`."""
    from sklearn.cluster import AgglomerativeClustering

    if len(distances) < 2:
        return ["0"] * len(distances)
    model = AgglomerativeClustering(
        n_clusters=None, metric="precomputed", linkage="average", distance_threshold=threshold
    )
    return [str(x) for x in model.fit_predict(distances)]


def cosine_distances(matrix: Any) -> np.ndarray:
    from sklearn.metrics.pairwise import cosine_distances as cd

    return np.asarray(cd(matrix), dtype=np.float64)


def tfidf_matrix(texts: list[str]) -> Any:
    """Sparse TF-IDF rows (IDF from the evaluated documents themselves, as the reference)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(stop_words="english", sublinear_tf=True).fit_transform(texts)


def best_threshold(
    label_fn: Callable[[float], list[str]], gold: list[str], grid: Sequence[float]
) -> tuple[float, float]:
    """The threshold with the best B-cubed F1 on `gold` (used on dev only)."""
    scored = [(bcubed(label_fn(t), gold)[2], t) for t in grid]
    f1, t = max(scored)
    return t, f1


def evaluate(data: Path, *, limit: int | None = None, split: str = "all") -> EvalResult:
    docs, arts = load_articles(data, limit)
    feats = article_features(arts, load_embedder())
    gold_all = [d["story"] for d in docs]
    dev = [i for i, d in enumerate(docs) if in_split(d, "dev")]
    ev = [i for i, d in enumerate(docs) if in_split(d, split)]
    if not ev:
        raise ValueError(f"no documents in split {split!r}")

    def pick(idx: list[int]) -> tuple[list[Article], list[Features], list[str]]:
        return [arts[i] for i in idx], [feats[i] for i in idx], [gold_all[i] for i in idx]

    e_arts, e_feats, e_gold = pick(ev)
    metrics: dict[str, float | int | str] = {"documents": len(ev), "stories": len(set(e_gold))}
    metrics.update(all_metrics("", stream_labels(e_arts, e_feats, {}), e_gold))

    texts = [a.text for a in arts]
    tfidf = tfidf_matrix(texts)
    embs = np.stack([f.embedding for f in feats])
    grid = [round(0.3 + 0.025 * i, 3) for i in range(25)]
    dev_gold = [gold_all[i] for i in dev] if dev else e_gold
    dev_idx = dev or ev
    for name, mat in (("baseline_tfidf_", tfidf), ("baseline_embed_agglo_", embs)):
        dist = cosine_distances(mat)
        dev_mat = dist[np.ix_(dev_idx, dev_idx)]

        def dev_labels(th: float, m: np.ndarray = dev_mat) -> list[str]:
            return agglomerative_labels(m, th)

        t, _ = best_threshold(dev_labels, dev_gold, grid)
        labels = agglomerative_labels(dist[np.ix_(ev, ev)], t)
        metrics.update(all_metrics(name, labels, e_gold))
        metrics[f"{name}threshold_dev"] = t
    return EvalResult(
        stage="cluster",
        data=str(data),
        headline="bcubed_f1",
        metrics=metrics,
        reference={"TF-IDF + average-link, best threshold (all 982)": 0.869},
        notes=[
            f"split={split}; StoryIndex with shipped Settings {Settings()} (chosen on dev)",
            "baselines: average-link agglomerative, threshold chosen on dev topics 1-35",
            "no publication dates in ECB+: time enters only as the years the texts mention",
        ],
    )
