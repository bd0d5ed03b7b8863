"""Find copies: exact and near duplicates, and paraphrased rewrites within a story.

Five rewrites of one AFP dispatch are one independent report, so fusion must know
who copied whom. Exact copies share a normalised-text hash; near copies share
most word 5-shingles (MinHash LSH); rewrites keep the original's sentences in
order but reword them, so they are found by sentence alignment. Two outlets that
each quote the same wire but write their own reports align on few sentences and
are not copies: the rewrite threshold is deliberately high.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Any

import numpy as np
from datasketch import MinHash, MinHashLSH

from newsloom.models import Article, Derivation

if TYPE_CHECKING:
    from newsloom.nlp import Embedder

NEAR_THRESHOLD = 0.8
SHINGLE = 5
NUM_PERM = 128
SENT_COSINE = 0.80  # two sentences say the same thing (MiniLM cosine)
SENT_LEXICAL = 0.6  # or keep most content words (Jaccard): a lightly edited sentence
REWRITE_SHARE = 0.6  # share of the derived article's sentences aligned, in order
MIN_ALIGNED = 3
WIRES = {
    "AFP": re.compile(r"\bAFP\b|Agence France[- ]Presse"),
    "AP": re.compile(r"\bAP\b|Associated Press"),
    "Reuters": re.compile(r"\bReuters\b"),
}
_TOKEN = re.compile(r"\w+")


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def credited_wires(article: Article) -> list[str]:
    """Wire agencies named in the text (a rewrite usually credits its source)."""
    return [name for name, pattern in WIRES.items() if pattern.search(article.text)]


def _rank(article: Article) -> tuple[str, int, str]:
    """Sort key of the likely original: earliest published, then most complete."""
    return (article.published or "9999", -len(_tokens(article.text)), article.id)


def _minhash(tokens: list[str]) -> MinHash:
    mh = MinHash(num_perm=NUM_PERM, seed=1)
    grams = {" ".join(tokens[i : i + SHINGLE]) for i in range(max(1, len(tokens) - SHINGLE + 1))}
    mh.update_batch([g.encode("utf-8") for g in grams])
    return mh


def find_duplicates(articles: list[Article]) -> list[Derivation]:
    """Exact and near duplicates; each copy points to the likely original."""
    ordered = sorted(articles, key=_rank)
    out: list[Derivation] = []
    first_of_hash: dict[str, Article] = {}
    lsh = MinHashLSH(threshold=NEAR_THRESHOLD, num_perm=NUM_PERM)
    hashes: dict[str, MinHash] = {}
    for art in ordered:
        tokens = _tokens(art.text)
        digest = hashlib.sha256(" ".join(tokens).encode("utf-8")).hexdigest()
        if digest in first_of_hash:
            orig = first_of_hash[digest]
            out.append(Derivation(art.id, orig.id, "exact", 1.0, {"sha256": digest[:16]}))
            continue
        first_of_hash[digest] = art
        mh = _minhash(tokens)
        near = [(mh.jaccard(hashes[k]), k) for k in lsh.query(mh)]
        near = [x for x in near if x[0] >= NEAR_THRESHOLD]
        if near:
            score, orig_id = max(near)
            out.append(
                Derivation(art.id, orig_id, "near", round(score, 4), {"jaccard": round(score, 4)})
            )
        lsh.insert(art.id, mh)
        hashes[art.id] = mh
    return out


def _align(
    emb_a: np.ndarray, emb_b: np.ndarray, tok_a: list[set[str]], tok_b: list[set[str]]
) -> list[tuple[int, int]]:
    """In-order sentence pairs (i in A, j in B) that say the same thing.

    Each sentence of A takes its best match in B; the longest chain increasing in
    both A and B is kept, so shuffled generic sentences do not count."""
    sims = emb_a @ emb_b.T
    pairs = []
    for i, words in enumerate(tok_a):
        j = int(np.argmax(sims[i]))
        if sims[i, j] >= SENT_COSINE:
            pairs.append((i, j))
            continue
        lex = [len(words & t) / max(1, len(words | t)) for t in tok_b]
        jl = int(np.argmax(lex))
        if lex[jl] >= SENT_LEXICAL and len(words) >= 4:
            pairs.append((i, jl))
    return _longest_chain(pairs)


def _longest_chain(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Longest subsequence of `pairs` (sorted by i) with strictly increasing j."""
    best: list[list[tuple[int, int]]] = []
    for k, (_i, j) in enumerate(pairs):
        prev = [best[m] for m in range(k) if pairs[m][1] < j]
        best.append([*max(prev, key=len, default=[]), pairs[k]])
    return max(best, key=len, default=[])


def _content(text: str) -> set[str]:
    return {t for t in _tokens(text) if len(t) > 3}


def trace_copies(articles: list[Article], embedder: Embedder) -> list[Derivation]:
    """Paraphrased rewrites within one story (kind "rewrite"), derived -> original."""
    arts = [a for a in sorted(articles, key=_rank) if a.sentences]
    texts = [s.text for a in arts for s in a.sentences]
    vecs = embedder.embed(texts)
    embs, toks, pos = [], [], 0
    for a in arts:
        embs.append(vecs[pos : pos + len(a.sentences)])
        toks.append([_content(s.text) for s in a.sentences])
        pos += len(a.sentences)
    out: list[Derivation] = []
    for k, art in enumerate(arts):  # arts[:k] are the more likely originals
        best: tuple[float, int, list[tuple[int, int]]] = (0.0, -1, [])
        for m in range(k):
            chain = _align(embs[k], embs[m], toks[k], toks[m])
            share = len(chain) / len(art.sentences)
            if share > best[0] and len(chain) >= MIN_ALIGNED:
                best = (share, m, chain)
        share, m, chain = best
        if share >= REWRITE_SHARE:
            evidence = _evidence(art, arts[m], share, chain)
            out.append(Derivation(art.id, arts[m].id, "rewrite", round(share, 4), evidence))
    return out


def _evidence(
    art: Article, orig: Article, share: float, chain: list[tuple[int, int]]
) -> dict[str, Any]:
    return {
        "matched_sentences": len(chain),
        "share": round(share, 4),
        "pairs": chain[:10],
        "credited_wire": credited_wires(art),
        "original_credits": credited_wires(orig),
    }


def independent_roots(articles: list[Article], derivations: list[Derivation]) -> dict[str, str]:
    """Map each article id to the independent report it derives from (itself if none)."""
    parent = {d.article_id: d.original_id for d in derivations if d.article_id != d.original_id}
    roots: dict[str, str] = {}
    for art in articles:
        node, seen = art.id, {art.id}
        while node in parent and parent[node] not in seen:
            node = parent[node]
            seen.add(node)
        roots[art.id] = node
    return roots
