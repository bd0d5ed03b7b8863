"""Find copies inside a story: exact and near duplicates, spun rewrites, shared wire text.

Five rewrites of one AFP dispatch are one independent report, so fusion must know who copied
whom. `CopyTracer` takes a story's articles one at a time and links each new one to the
earlier article it copies (or that copies it), looking up candidates instead of comparing
with every article: exact copies by a hash of the normalised text, near copies by MinHash LSH
over word 5-shingles, rewrites by their sentences' nearest sentences in the story (one matrix
product) and by shared runs of names and numbers.

Sentences are aligned one to one, in any order, so a rewrite is caught whether it swaps
words for synonyms, reorders clauses or sentences, or breaks the grammar (a "spun" page):
two sentences align when their vectors are close, when they keep most content words (as
crude stems, so "crashed" keeps "crash"), when they keep the same names and numbers (spinners
reword everything else, but never those; a figure that a merged or split sentence carries
over from the next sentence is kept too, and so is a close sentence that drops a figure and
adds none), when
they are fairly close and keep a good part of the content words (two versions of one wire
story), or when they share a run of wording (then a cut or edited attribution, "…, Fanning
said." / "…, Const.", does not part them). A page aligned on three sentences or fewer must keep
a run of six words somewhere: two short summaries of one event share names and meaning, not
wording (unless every sentence of one aligns with a page three times as long: its summary).
Quotations and embedded posts are no one's own text: two outlets quoting one statement share
its speaker, so quoted sentences count only beside copied wording of the pages' own. Then:

- `exact` / `near`: the same text, or the same text lightly edited (MinHash Jaccard >= 0.8);
- `rewrite`: most of one page's sentences (>= 60%) align with the other's: the shorter, or
  the later if both are complete, is derived from the other; also a page spun sentence by
  sentence too loosely for the alignment, when four or more of its own sentences, 60% of the
  shorter page, keep the other's names and numbers and a third of its content words in the
  other's order (a longest increasing chain over the close sentence pairs);
- `same_wire`: both pages carry the same agency text word for word (three or more
  near-identical sentences, or a near copy of a page that credits a wire: "(AFP)", "Reuters",
  "AP") beside text of their own: one origin, neither copied the other; also two versions
  of one agency text that no alignment links (the lead rewritten, paragraphs edited, cut and
  reordered, a figure updated) when runs of about eight words of it stand in three own
  sentences and a quarter of the shorter page, or one own sentence of over thirty words is
  the same word for word (looked up through a hash table of 4-grams, bounded by the pages).

Two outlets that each quote the same wire but write their own reports align on few
sentences, and their wording differs, so they stay independent. Each page keeps one parent,
but a new page that carries the text of two earlier, unlinked pages folds both into its tree
(the earlier root becomes its copy), so one wire text on three sites is one origin.

Two pages that are not linked may still carry one sentence word for word (a wire sentence,
an agency caption): `CopyTracer.shared_sentences` finds them on demand, for measurement
(`eval copies` text_*); fusion folds such statements by its own wording check
(`fuse.shared_wording`), so the tracer neither keeps nor stores them.
"""

from __future__ import annotations

import base64
import bisect
import functools
import hashlib
import itertools
import re
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from datasketch import MinHash, MinHashLSH

from newsloom.models import Article, Derivation, Sentence
from newsloom.nlp import append_rows
from newsloom.wires import credited_anywhere

if TYPE_CHECKING:
    from newsloom.nlp import Embedder

NEAR_THRESHOLD = 0.8
LSH_THRESHOLD = 0.5  # MinHash candidates; near copies need NEAR_THRESHOLD on the estimate
SHINGLE = 5
NUM_PERM = 64
SENT_COSINE = 0.80  # two sentences say the same thing (sentence vectors)
KEY_COSINE = 0.5  # ... or keep the same names and numbers and are this close
REWORD_COSINE = 0.65  # ... or fairly close and keep a good part of the content words:
REWORD_LEXICAL = 0.4  # a reworded sentence of one text (two versions of one wire story)
SENT_LEXICAL = 0.6  # ... or keep most content words (Jaccard): a lightly edited sentence
OMIT_COSINE = 0.85  # a sentence this close that keeps half its content words (Jaccard) and
OMIT_LEXICAL = 0.5  # drops some of the other's figures, adding none, is the same sentence
VERBATIM = 0.8  # content-word (stem) Jaccard of a sentence copied word for word
VERBATIM_GRAMS = 4  # ... or word 4-grams it shares (a run of 7+ words), 60% of the shorter
REWRITE_SHARE = 0.6  # share of the derived page's sentences aligned with the original
MIN_ALIGNED = 3  # sentences aligned before a page counts as copied (fewer if it is shorter)
KEPT_GRAMS = 3  # a copy aligned on MIN_ALIGNED sentences or fewer keeps a 6-word run somewhere
SHARED_GRAMS = 8  # word 4-grams a sentence shares before it is one text (about 11 words)
WIRE_SENTENCES = 3  # verbatim sentences shared before two pages carry one wire text
RUN_GRAMS = 5  # word 4-grams two own sentences share: a run of wording (about 8 words)
WIRE_RUNS = 3  # own sentences carrying such runs before two pages carry one text, edited
RUN_SHARE = 0.25  # ... and this share of the shorter page's own sentences at least
LONG_RUN = 30  # word 4-grams of one own sentence run word for word (about 33 words)
ORDER_COSINE = 0.5  # a spun sentence: this close, keeping the same names and numbers and
ORDER_LEXICAL = 0.3  # ... this share (Jaccard) of the content words, ORDER_WORDS at least
ORDER_WORDS = 3
ORDERED = 4  # such sentences in the same order before a page is a spun rewrite
ORDER_SHARE = 0.6  # ... and this share of the shorter page's own sentences
ORDER_PARTNERS = 3  # closest sentences of the other page a sentence may pair with
CANDIDATES = 5  # earlier articles aligned in full with a new one
NEIGHBOURS = 4  # nearest story sentences looked at for each new sentence
RECENT = 4096  # latest sentences searched by vector (older ones through LSH and name keys)
MIN_WORDS = 4  # shorter lines ("Read more.") are not compared
MAX_QUOTE = 2000  # characters: a longer "quotation" is a stray quote mark
POST_CHARS = 300  # an embedded post's text before its signature (a post has 280 at most)
_TOKEN = re.compile(r"\w+")
_KEY_ITEM = re.compile(r"(?<![\w.])(?:[A-Z][\w'’-]+|\d[\d,.]*\d|\d)")
# What a spinner never changes besides names and digits: counts in words, the weekday and
# the polarity. A "rewrite" that says 12 for thirteen, Tuesday for Monday or "was not killed"
# for "was killed" is another report of the same event, and its disagreement must show.
_NUMBER_WORDS = {
    w: str(n)
    for n, w in enumerate(
        [
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ],
        start=2,
    )
}
_NUMBER_WORD = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b", re.IGNORECASE)
_NEGATION = re.compile(r"\b(?:not|never|no longer)\b|n[’']t\b", re.IGNORECASE)
NEGATED = "¬"  # the key item of a negated sentence
_WEEKDAYS = frozenset(
    ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
)


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def _rank(article: Article) -> tuple[str, int, str]:
    """Sort key of the likely original: earliest published, then most complete."""
    return (article.published or "9999", -len(_tokens(article.text)), article.id)


def _minhash(tokens: list[str]) -> MinHash:
    mh = MinHash(num_perm=NUM_PERM, seed=1)
    grams = {" ".join(tokens[i : i + SHINGLE]) for i in range(max(1, len(tokens) - SHINGLE + 1))}
    mh.update_batch([g.encode("utf-8") for g in grams])
    return mh


def _from_values(hashvalues: np.ndarray) -> MinHash:
    return MinHash(num_perm=NUM_PERM, seed=1, hashvalues=hashvalues, scheme="affine32")


@functools.cache
def _lsh_params(threshold: float) -> tuple[int, int]:
    """Bands and rows for `threshold`: datasketch finds them by numerical integration (25 ms),
    which every new story's tracer would otherwise repeat."""
    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    return lsh.b, lsh.r


def _new_lsh(threshold: float) -> MinHashLSH:
    return MinHashLSH(num_perm=NUM_PERM, params=_lsh_params(threshold))


def find_duplicates(articles: list[Article]) -> list[Derivation]:
    """Exact and near duplicates; each copy points to the likely original."""
    ordered = sorted(articles, key=_rank)
    out: list[Derivation] = []
    first_of_hash: dict[str, Article] = {}
    lsh = _new_lsh(NEAR_THRESHOLD)
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


# ---------------------------------------------------------------- signatures


def _content(text: str) -> frozenset[str]:
    """Stems of the content words: a spinner's "crashed" for "crash" or "landing" for
    "landed" still counts as kept."""
    return frozenset(_stem(t) for t in _tokens(text) if len(t) > 3)


def _stem(word: str) -> str:
    """A crude stem (a common suffix off, then six letters): enough to match inflections."""
    return _SUFFIX.sub("", word)[:6] if len(word) > 5 else word


_SUFFIX = re.compile(r"(?:ing|ed|es|s|ly)$")


def _key(text: str, names: frozenset[str]) -> tuple[str, ...]:
    """The names and numbers of a sentence, in order. Its first word is capitalised whatever
    it is, so it counts only if the article capitalises it inside a sentence too."""
    items = _KEY_ITEM.findall(text)
    first = _TOKEN.match(text.lstrip("“\"'‘( "))
    if items and first and items[0] == first.group(0) and items[0] not in names:
        items = items[1:]
    key = [_POSSESSIVE.sub("", i.lower().replace(",", "").replace("’", "'")) for i in items]
    key += [_NUMBER_WORDS[w.lower()] for w in _NUMBER_WORD.findall(text)]
    if _NEGATION.search(text):
        key.append(NEGATED)
    return tuple(key)


def _inner_names(text: str) -> frozenset[str]:
    """Capitalised words that follow another word: names, not sentence openers."""
    return frozenset(m.group(1) for m in _INNER_NAME.finditer(text))


_INNER_NAME = re.compile(r"[a-z,;:]\s+([A-Z][\w'’-]+)")
_POSSESSIVE = re.compile(r"'s?$")
_QUOTE_MARK = re.compile(r"[“”\"]")
_POST_SIGNATURE = re.compile(r"\(@\w+\)|pic\.twitter\.com|—\s*[\w .]+\(@")


def _grams(text: str) -> np.ndarray:
    """Hashes of the sentence's word 4-grams (sorted, stable across processes)."""
    words = _tokens(text.replace("’", "'"))
    grams = {zlib.crc32(" ".join(words[i : i + 4]).encode()) for i in range(len(words) - 3)}
    return np.array(sorted(grams), dtype=np.uint32)


def _quoted(article: Article, kept: list[Sentence]) -> list[bool]:
    """Which sentences are mostly someone else's words: inside quotation marks, or part of
    an embedded post ("— OpenAI (@OpenAI) November 22, 2023"). A quotation runs across
    sentences and paragraphs up to its closing mark; one that another quotation follows
    before it closes covers its own paragraph (unless the next paragraph opens the other:
    a quotation of several paragraphs). Two outlets quoting one statement are not one
    wire text."""
    text = article.text
    inside = np.zeros(len(text) + 1, dtype=np.int32)  # +1 where a quotation starts, -1 after
    breaks = [m.start() for m in re.finditer("\n", text)] + [len(text)]
    start = -1

    def paragraph_end(pos: int) -> int:
        return breaks[bisect.bisect_left(breaks, pos)]

    def cover(end: int) -> None:
        if end - start > MAX_QUOTE:  # a stray mark, not a quotation
            end = paragraph_end(start)
        inside[start] += 1
        inside[end] -= 1

    for m in _QUOTE_MARK.finditer(text):
        mark, pos = m.group(0), m.start()
        opens = mark == "“" or (mark == '"' and _opening(text, pos))
        if start < 0:
            start = pos if opens else -1
        elif not opens:
            cover(m.end())
            start = -1
        elif not text[paragraph_end(start) : pos].isspace():
            cover(paragraph_end(start))  # never closed: its paragraph
            start = pos
    if start >= 0:
        cover(paragraph_end(start))
    for m in _POST_SIGNATURE.finditer(text):  # an embedded post: its text comes before
        inside[max(0, m.start() - POST_CHARS)] += 1
        inside[paragraph_end(m.start())] -= 1
    covered = np.cumsum(inside) > 0
    return [x.end > x.start and float(covered[x.start : x.end].mean()) >= 0.5 for x in kept]


def _opening(text: str, pos: int) -> bool:
    """A straight quote mark that opens: after a space or bracket, before a word."""
    before = text[pos - 1] if pos else " "
    after = text[pos + 1] if pos + 1 < len(text) else " "
    return (before.isspace() or before in "([—-") and not after.isspace()


@dataclass(slots=True)
class _Page:
    """What copy tracing keeps of one article."""

    id: str
    rank: tuple[str, int, str]
    digest: str
    minhash: np.ndarray  # MinHash hash values (uint64)
    contents: list[frozenset[str]]  # content words of each compared sentence
    keys: list[tuple[str, ...]]  # names and numbers of each compared sentence
    grams: list[np.ndarray]  # word 4-gram hashes of each compared sentence
    quoted: list[bool]  # sentences that are mostly a quotation or an embedded post
    first_row: int  # its sentences' rows in the tracer's vector matrix
    sentence_ids: list[int] = field(default_factory=list)  # `Sentence.index` of each
    credits: list[str] = field(default_factory=list)
    parent: str = ""

    @property
    def n(self) -> int:
        return len(self.contents)

    @property
    def own(self) -> int:
        """Sentences in its own words (not quotations)."""
        return self.n - sum(self.quoted)


@dataclass(slots=True)
class _Alignment:
    pairs: list[tuple[int, int, float, bool]]  # (i new, j old, score, verbatim)
    run: int = 0  # most word 4-grams one aligned pair of own sentences shares
    quotes: bool = False  # quotations counted (they come with copied text of the page's own)
    copied: list[tuple[int, int]] = field(default_factory=list)  # own sentences word for word
    # (at least SHARED_GRAMS word 4-grams: a shared run of wording, not a phrase)

    @property
    def matched(self) -> int:
        return len(self.pairs)

    @property
    def verbatim(self) -> int:
        return sum(1 for p in self.pairs if p[3])


class CopyTracer:
    """Copy tracing over a story that grows one article at a time.

    Example:
        >>> tracer = CopyTracer()
        >>> found = tracer.add(article, embedder.embed)     # doctest: +SKIP
        >>> tracer.root(article.id)                          # doctest: +SKIP
    """

    def __init__(self) -> None:
        self.pages: list[_Page] = []
        self.by_id: dict[str, int] = {}
        self.by_digest: dict[str, int] = {}
        self.derivations: list[Derivation] = []
        self.vecs = np.zeros((0, 0), dtype=np.float32)
        self.owner: list[int] = []  # page of each vector row
        self._n = 0
        self.lsh = _new_lsh(LSH_THRESHOLD)
        self.key_index: dict[tuple[str, str], list[int]] = {}
        self._new_pages: list[int] = []

    # -- growing ----------------------------------------------------------

    def add(self, article: Article, embed: Any) -> list[Derivation]:
        """Index one article; return the derivations found with it (the new article's own,
        or an earlier article's found to copy the new one)."""
        tokens = _tokens(article.text)
        digest = hashlib.sha256(" ".join(tokens).encode("utf-8")).hexdigest()
        kept = [s for s in article.sentences if len(s.text.split()) >= MIN_WORDS]
        sents = [s.text for s in kept]
        # Half precision as stored, so a reloaded tracer decides exactly as this one.
        vecs = embed(sents).astype(np.float16).astype(np.float32) if sents else np.zeros((0, 0))
        mh = _minhash(tokens)
        names = _inner_names(article.text)
        page = _Page(
            id=article.id,
            rank=_rank(article),
            digest=digest,
            minhash=mh.hashvalues.copy(),
            contents=[_content(t) for t in sents],
            keys=[_key(t, names) for t in sents],
            grams=[_grams(t) for t in sents],
            quoted=_quoted(article, kept),
            first_row=self._n,
            sentence_ids=[x.index for x in kept],
            credits=credited_anywhere(article.text),
        )
        found = self._trace(page, mh, vecs)
        pos = len(self.pages)
        self.pages.append(page)
        self.by_id[page.id] = pos
        self.by_digest.setdefault(digest, pos)
        self.lsh.insert(str(pos), mh)
        self._index_keys(pos)
        self._append_vectors(vecs, pos)
        self._new_pages.append(pos)
        for d in found:
            self.pages[self.by_id[d.article_id]].parent = d.original_id
            self.derivations.append(d)
        return found

    def root(self, article_id: str) -> str:
        """The independent report an article derives from (itself if none)."""
        node, seen = article_id, {article_id}
        while node in self.by_id:
            parent = self.pages[self.by_id[node]].parent
            if not parent or parent in seen:
                break
            node = parent
            seen.add(node)
        return node

    def _append_vectors(self, vecs: np.ndarray, pos: int) -> None:
        if not len(vecs):
            return
        self.vecs = append_rows(self.vecs, self._n, vecs)
        self.owner.extend([pos] * len(vecs))
        self._n += len(vecs)

    def _index_keys(self, pos: int) -> None:
        for key in self.pages[pos].keys:
            for pair in itertools.pairwise(key):
                bucket = self.key_index.setdefault(pair, [])
                if not bucket or bucket[-1] != pos:
                    bucket.append(pos)

    # -- tracing ----------------------------------------------------------

    def _candidates(self, page: _Page, mh: MinHash, vecs: np.ndarray) -> list[int]:
        """Earlier pages most likely to share text with the new one."""
        votes: dict[int, float] = {}
        if page.digest in self.by_digest:
            votes[self.by_digest[page.digest]] = 1e9
        for hit in self.lsh.query(mh):
            votes[int(hit)] = votes.get(int(hit), 0.0) + 100.0
        if self._n and len(vecs):
            start = max(0, self._n - RECENT)  # older pages are reached through LSH and keys
            sims = vecs @ self.vecs[start : self._n].T
            k = min(NEIGHBOURS, self._n - start)
            tops = np.argpartition(-sims, k - 1, axis=1)[:, :k] if k < self._n - start else None
            for r, row in enumerate(sims):
                top = tops[r] if tops is not None else range(self._n - start)
                hit_pages = {self.owner[start + i] for i in top if row[i] >= SENT_COSINE - 0.1}
                for p in hit_pages:
                    votes[p] = votes.get(p, 0.0) + 1.0
        for key in page.keys:
            hit_pages = set()
            for pair in itertools.pairwise(key):
                hit_pages.update(self.key_index.get(pair, ())[-50:])
            for p in hit_pages:
                votes[p] = votes.get(p, 0.0) + 0.5
        ranked = sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))
        return [p for p, v in ranked[:CANDIDATES] if v >= 1.0]

    def _trace(self, page: _Page, mh: MinHash, vecs: np.ndarray) -> list[Derivation]:
        """The strongest link of the new page, plus links that fold other independent
        trees into it: an earlier root page found to copy the new one (a page carrying one
        wire text with two earlier pages that were not linked to each other)."""
        found = []
        for pos in self._candidates(page, mh, vecs):
            strength, link = self._relation(page, vecs, self.pages[pos], mh)
            if link is not None:
                found.append((strength, link))
        if not found:
            return []
        best = max(found, key=lambda f: f[0])[1]  # first of equals, as before
        out = [best]
        top = self.root(best.original_id) if best.article_id == page.id else page.id
        for _, d in sorted(found, key=lambda f: -f[0]):
            if d is best or d.original_id != page.id or d.article_id == page.id:
                continue
            old = self.pages[self.by_id[d.article_id]]
            if old.parent or d.article_id == top or any(d.article_id == x.article_id for x in out):
                continue
            out.append(d)
        return out

    def _relation(
        self, new: _Page, vecs: np.ndarray, old: _Page, mh: MinHash
    ) -> tuple[float, Derivation | None]:
        """How the new page relates to an earlier one: (strength, derivation or None)."""
        credits = sorted(set(new.credits) | set(old.credits))
        if new.digest == old.digest:
            kind = "same_wire" if credits and new.credits == old.credits else "exact"
            return 2.0, self._link(new, old, kind, 1.0, {"sha256": new.digest[:16]})
        jaccard = float(np.mean(mh.hashvalues == old.minhash))
        if jaccard >= NEAR_THRESHOLD:
            kind = "same_wire" if credits else "near"
            return (
                1.5 + jaccard,
                self._link(
                    new,
                    old,
                    kind,
                    round(jaccard, 4),
                    {"jaccard": round(jaccard, 4), "credited_wire": credits},
                ),
            )
        if not new.n or not old.n:
            return 0.0, None
        strength, link = self._aligned(new, vecs, old, credits)
        if link is None:
            strength, link = self._runs_relation(new, old, credits)
        if link is None:
            strength, link = self._ordered_relation(new, vecs, old)
        return strength, link

    def _ordered_relation(
        self, new: _Page, vecs: np.ndarray, old: _Page
    ) -> tuple[float, Derivation | None]:
        """A page spun sentence by sentence, too loosely for the alignment (a fourth
        sentence reworded beyond its thresholds: "The incident follows a previous announcement
        of an 'abnormal situation'" / "The crash comes after Roscosmos reported an 'abnormal
        situation'"): most of the shorter page keeps, in the original's order, sentences with
        the same names and numbers and a third of their content words. Independent reports
        of one event share facts in a like order too, but reword them more (measured on the
        real-web dev pairs and ECB+: none comes within these thresholds)."""
        rows = self.vecs[old.first_row : old.first_row + old.n]
        pairs = _ordered(new, vecs, old, rows)
        m = len(pairs)
        if m < ORDERED or not new.own or not old.own:
            return 0.0, None
        share_new, share_old = m / new.own, m / old.own
        if max(share_new, share_old) < ORDER_SHARE:
            return 0.0, None
        evidence = {"ordered_sentences": m, "pairs": [[i, j] for i, j in pairs[:10]]}
        if share_new >= ORDER_SHARE:
            if share_old >= ORDER_SHARE and old.rank > new.rank and not old.parent:
                return share_old, self._link(old, new, "rewrite", round(share_old, 4), evidence)
            return share_new, self._link(new, old, "rewrite", round(share_new, 4), evidence)
        if old.parent:
            return 0.0, None
        return share_old, self._link(old, new, "rewrite", round(share_old, 4), evidence)

    def _runs_relation(
        self, new: _Page, old: _Page, credits: list[str]
    ) -> tuple[float, Derivation | None]:
        """Two versions of one agency text that no sentence alignment links: the lead
        rewritten, paragraphs cut, reordered and edited, figures updated ("injuring dozens" /
        "at least 23 others"), yet runs of its wording kept in several of their own sentences,
        or one long sentence kept word for word. Independent reports of one event share
        phrases ("killing all 150 people on board", "life in prison without the possibility
        of parole"), not runs of eight words in three sentences and a quarter of a page."""
        runs = _shared_runs(new, old)
        share = len(runs) / max(1, min(new.own, old.own))
        edited = len(runs) >= WIRE_RUNS and share >= RUN_SHARE
        if not edited and max((g for _, _, g in runs), default=0) < LONG_RUN:
            return 0.0, None
        evidence = {
            "run_sentences": len(runs),
            "run_grams": sum(g for _, _, g in runs),
            "pairs": [[i, j] for i, j, _ in runs[:10]],
            "credited_wire": credits,
        }
        return share, self._link(new, old, "same_wire", round(share, 4), evidence)

    def _aligned(
        self, new: _Page, vecs: np.ndarray, old: _Page, credits: list[str]
    ) -> tuple[float, Derivation | None]:
        """The relation read from the pages' aligned sentences."""
        rows = self.vecs[old.first_row : old.first_row + old.n]
        aligned = _align(new, vecs, old, rows)
        m = aligned.matched
        n_new, n_old = (new.n, old.n) if aligned.quotes else (new.own, old.own)
        if not n_new or not n_old:
            return 0.0, None
        share_new, share_old = m / n_new, m / n_old
        evidence = {
            "matched_sentences": m,
            "verbatim_sentences": aligned.verbatim,
            "share": round(max(share_new, share_old), 4),
            "pairs": [[i, j] for i, j, _, _ in aligned.pairs[:10]],
            "credited_wire": credits,
        }
        verbatim = aligned.verbatim >= max(1, 0.5 * m)  # copied wording, not reworded
        summary = m >= MIN_ALIGNED and m == min(n_new, n_old) and max(n_new, n_old) >= 3 * m
        if m <= MIN_ALIGNED and aligned.run < KEPT_GRAMS and not summary:
            # A few sentences that share names and meaning but no run of wording: two short
            # summaries of one event, not a copy (a spun page keeps some runs somewhere),
            # unless every sentence of one is in a page three times as long (its summary).
            return 0.0, None
        if share_new >= REWRITE_SHARE and m >= min(MIN_ALIGNED, n_new) and m >= 2:
            kind = "same_wire" if verbatim and credits else "near" if verbatim else "rewrite"
            if share_old >= REWRITE_SHARE and old.rank > new.rank and not old.parent:
                return (
                    1.0 + share_new,
                    self._link(old, new, kind, round(share_old, 4), evidence),
                )
            return 1.0 + share_new, self._link(new, old, kind, round(share_new, 4), evidence)
        if share_old >= REWRITE_SHARE and m >= min(MIN_ALIGNED, n_old) and m >= 2:
            if not old.parent:
                kind = "same_wire" if verbatim and credits else "near" if verbatim else "rewrite"
                return (
                    1.0 + share_old,
                    self._link(old, new, kind, round(share_old, 4), evidence),
                )
            return 0.0, None
        shorter = min(n_new, n_old)
        if aligned.verbatim >= WIRE_SENTENCES or (aligned.verbatim >= 2 and shorter <= 6):
            share = aligned.verbatim / shorter
            return share, self._link(new, old, "same_wire", round(share, 4), evidence)
        return 0.0, None

    @staticmethod
    def _link(
        copy: _Page, original: _Page, kind: str, score: float, evidence: dict[str, Any]
    ) -> Derivation:
        if kind == "same_wire" and original.rank > copy.rank and not original.parent:
            copy, original = original, copy  # one origin: the earlier page stands for it
        return Derivation(copy.id, original.id, kind, score, evidence)

    def shared_sentences(self, a: str, b: str) -> list[tuple[int, int]]:
        """The sentences (`Sentence.index` of a, of b) two traced pages carry word for word
        outside quotations (a wire sentence, an agency caption), whether or not either page
        copies the other: sentence-level provenance, computed when asked."""
        if a not in self.by_id or b not in self.by_id:
            return []
        pa, pb = self.pages[self.by_id[a]], self.pages[self.by_id[b]]
        if not pa.n or not pb.n:
            return []
        va = self.vecs[pa.first_row : pa.first_row + pa.n]
        vb = self.vecs[pb.first_row : pb.first_row + pb.n]
        return [(pa.sentence_ids[i], pb.sentence_ids[j]) for i, j in _align(pa, va, pb, vb).copied]

    def descendants(self, article_id: str) -> list[str]:
        """Articles whose root passes through `article_id` (itself first)."""
        children: dict[str, list[str]] = {}
        for page in self.pages:
            if page.parent:
                children.setdefault(page.parent, []).append(page.id)
        out, todo = [], [article_id]
        while todo:
            node = todo.pop()
            if node in out:
                continue
            out.append(node)
            todo.extend(children.get(node, []))
        return out

    # -- state ------------------------------------------------------------

    def state_delta(self) -> list[tuple[str, dict[str, Any]]]:
        """(article id, state) of the pages added since the last call."""
        out = [(self.pages[p].id, self._page_state(p)) for p in self._new_pages]
        self._new_pages = []
        return out

    def _page_state(self, pos: int) -> dict[str, Any]:
        page = self.pages[pos]
        vecs = self.vecs[page.first_row : page.first_row + page.n]
        return {
            "id": page.id,
            "rank": list(page.rank),
            "digest": page.digest,
            "minhash": base64.b64encode(page.minhash.astype("<u8").tobytes()).decode("ascii"),
            "contents": [sorted(c) for c in page.contents],
            "keys": [list(k) for k in page.keys],
            "grams": [g.tolist() for g in page.grams],
            "quoted": page.quoted,
            "credits": page.credits,
            "sentence_ids": page.sentence_ids,
            "vectors": base64.b64encode(vecs.astype("<f2").tobytes()).decode("ascii"),
            "dim": int(self.vecs.shape[1]),
        }

    @classmethod
    def from_state(cls, pages: list[dict[str, Any]], derivations: list[Derivation]) -> CopyTracer:
        """Rebuild from page states (in arrival order) and the story's derivations."""
        tracer = cls()
        for pos, d in enumerate(pages):
            hv = np.frombuffer(base64.b64decode(d["minhash"]), dtype="<u8").astype(np.uint64)
            page = _Page(
                id=d["id"],
                rank=(d["rank"][0], int(d["rank"][1]), d["rank"][2]),
                digest=d["digest"],
                minhash=hv,
                contents=[frozenset(c) for c in d["contents"]],
                keys=[tuple(k) for k in d["keys"]],
                grams=[np.array(g, dtype=np.uint32) for g in d["grams"]],
                quoted=list(d["quoted"]),
                first_row=tracer._n,
                # states saved before sentence ids: positions stand in (only measurement,
                # `shared_sentences`, reads them)
                sentence_ids=list(d.get("sentence_ids", range(len(d["contents"])))),
                credits=[c.lower() for c in d["credits"]],  # ids were "AFP" before
            )
            tracer.pages.append(page)
            tracer.by_id[page.id] = pos
            tracer.by_digest.setdefault(page.digest, pos)
            tracer.lsh.insert(str(pos), _from_values(hv))
            tracer._index_keys(pos)
            if page.n:
                raw = np.frombuffer(base64.b64decode(d["vectors"]), dtype="<f2")
                tracer._append_vectors(raw.reshape(page.n, d["dim"]).astype(np.float32), pos)
        for der in derivations:
            if der.article_id in tracer.by_id:
                tracer.pages[tracer.by_id[der.article_id]].parent = der.original_id
        tracer.derivations = list(derivations)
        return tracer


def _align(new: _Page, vn: np.ndarray, old: _Page, vo: np.ndarray) -> _Alignment:
    """One-to-one sentence pairs that say the same thing, strongest first (any order)."""
    sims = vn @ vo.T
    pairs: list[tuple[float, int, int, bool]] = []
    shared_at: dict[tuple[int, int], int] = {}
    copied_at: set[tuple[int, int]] = set()
    for i in range(new.n):
        for j in np.nonzero(sims[i] >= min(KEY_COSINE, SENT_COSINE))[0].tolist():
            cos = float(sims[i, j])
            a, b = new.contents[i], old.contents[j]
            lex = len(a & b) / max(1, len(a | b))
            ga, gb = new.grams[i], old.grams[j]
            shared = len(np.intersect1d(ga, gb, assume_unique=True)) if len(ga) and len(gb) else 0
            copied = shared >= VERBATIM_GRAMS and shared >= 0.6 * min(len(ga), len(gb))
            verbatim = (lex >= VERBATIM and len(a) >= 3) or copied
            ka, kb = new.keys[i], old.keys[j]
            omitted = cos >= OMIT_COSINE and lex >= OMIT_LEXICAL and _omitted(ka, kb)
            if _other_facts(ka, kb, copied) and (
                _other_facts(ka, kb, copied, numbers=False)
                or not (omitted or _moved(new, i, old, j))
            ):
                continue  # other names or numbers: another fact in like words
            same_key = _same_key(ka, kb)
            reworded = cos >= REWORD_COSINE and lex >= REWORD_LEXICAL and len(a & b) >= 3
            if (
                cos >= SENT_COSINE
                or (lex >= SENT_LEXICAL and len(a) >= 3)
                or same_key
                or copied
                or reworded
            ):
                pairs.append((max(cos, lex), i, j, verbatim))
                shared_at[i, j] = shared
                if copied:
                    copied_at.add((i, j))
    pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
    used_i: set[int] = set()
    used_j: set[int] = set()
    chosen = []
    for score, i, j, verbatim in pairs:
        if i in used_i or j in used_j:
            continue
        used_i.add(i)
        used_j.add(j)
        chosen.append((i, j, round(score, 3), verbatim))
    own = [p for p in chosen if not (new.quoted[p[0]] or old.quoted[p[1]])]
    if not any((i, j) in copied_at for i, j, _, _ in own):
        # Two outlets quoting one statement share the speaker, not a text: quotations
        # count only beside copied wording of their own.
        chosen = own
    run = max((shared_at[i, j] for i, j, _, _ in own), default=0)
    kept_text = sorted(
        (i, j) for i, j, _, _ in own if (i, j) in copied_at and shared_at[i, j] >= SHARED_GRAMS
    )
    return _Alignment(sorted(chosen), run, len(chosen) > len(own), kept_text)


def _shared_runs(new: _Page, old: _Page) -> list[tuple[int, int, int]]:
    """One-to-one pairs of own sentences (i new, j old, shared word 4-grams) that share a
    run of wording (RUN_GRAMS 4-grams or more), most shared first: looked up through a
    hash table of the old page's 4-grams, so the cost is the pages' length."""
    where: dict[int, list[int]] = {}
    for j, grams in enumerate(old.grams):
        if not old.quoted[j]:
            for h in grams.tolist():
                where.setdefault(h, []).append(j)
    counts: dict[tuple[int, int], int] = {}
    for i, grams in enumerate(new.grams):
        if new.quoted[i]:
            continue
        for h in grams.tolist():
            for j in where.get(h, ()):
                counts[i, j] = counts.get((i, j), 0) + 1
    ranked = sorted(((g, i, j) for (i, j), g in counts.items() if g >= RUN_GRAMS), reverse=True)
    used_i: set[int] = set()
    used_j: set[int] = set()
    out = []
    for g, i, j in ranked:
        if i not in used_i and j not in used_j:
            used_i.add(i)
            used_j.add(j)
            out.append((i, j, g))
    return out


def _ordered(new: _Page, vn: np.ndarray, old: _Page, vo: np.ndarray) -> list[tuple[int, int]]:
    """The longest chain of own sentence pairs (i new, j old), both in page order, that
    say the same thing in other words: close vectors (ORDER_COSINE), ORDER_WORDS content
    words and ORDER_LEXICAL of them kept, no other names or numbers. A longest increasing
    subsequence over each new sentence's ORDER_PARTNERS closest old ones, so the cost grows
    with the new page, not with the product of the pages."""
    if min(len(vn), len(vo)) < ORDERED:
        return []
    sims = vn @ vo.T
    k = min(ORDER_PARTNERS, sims.shape[1])
    tops = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    close = []
    for i, j in sorted((i, int(j)) for i, row in enumerate(tops) for j in row):
        if sims[i, j] < ORDER_COSINE:
            continue
        if new.quoted[i] or old.quoted[j]:
            continue
        a, b = new.contents[i], old.contents[j]
        kept = len(a & b)
        if kept < ORDER_WORDS or kept < ORDER_LEXICAL * len(a | b):
            continue
        ka, kb = new.keys[i], old.keys[j]
        if _other_facts(ka, kb) and (
            _other_facts(ka, kb, numbers=False) or not _moved(new, i, old, j)
        ):
            continue
        close.append((i, -j))
    close.sort()  # by i, then j falling: one i never chains with itself
    tails: list[int] = []  # smallest last j of a chain of each length
    ends: list[int] = []  # the pair ending it
    back: list[int] = []  # each pair's predecessor in its chain
    for k, (_, nj) in enumerate(close):
        j = -nj
        pos = bisect.bisect_left(tails, j)
        back.append(ends[pos - 1] if pos else -1)
        if pos == len(tails):
            tails.append(j)
            ends.append(k)
        else:
            tails[pos], ends[pos] = j, k
    chain: list[tuple[int, int]] = []
    k = ends[-1] if ends else -1
    while k >= 0:
        chain.append((close[k][0], -close[k][1]))
        k = back[k]
    return chain[::-1]


def _numbers(key: tuple[str, ...]) -> set[str]:
    return {x for x in key if x[0].isdigit()}


def _omitted(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """One sentence's figures are all in the other: a rewrite dropped a detail ("Five main
    parts of the Titan" for "Five major fragments of the 22-foot (6.7-meter) Titan", "The
    four others were" for "The others were"), it changed none (#11)."""
    na, nb = _numbers(a), _numbers(b)
    return na <= nb or nb <= na


def _moved(new: _Page, i: int, old: _Page, j: int) -> bool:
    """Each sentence's numbers stand in the other page around its partner (the partner and
    the sentences either side): a rewrite merged or split sentences ("120 were on board when
    it left and sank 40 minutes later." for "120 were on board. It sank 40 minutes later."),
    it changed no figure. A changed figure (41 for 120) stands nowhere near."""

    def around(page: _Page, k: int) -> set[str]:
        return set().union(*(_numbers(key) for key in page.keys[max(0, k - 1) : k + 2]))

    return _numbers(new.keys[i]) <= around(old, j) and _numbers(old.keys[j]) <= around(new, i)


def _other_facts(
    a: tuple[str, ...], b: tuple[str, ...], copied: bool = False, numbers: bool = True
) -> bool:
    """Two sentences name different people, places or weekdays, give different numbers
    (unless `numbers` is False), or one negates what the other affirms. Names
    alone do not part two sentences that share most of their wording word for word (an
    attribution edited or cut by the sentence splitter: "…, Fanning said." / "…, Const.")."""
    if (NEGATED in a) != (NEGATED in b):
        return True
    days_a, days_b = _WEEKDAYS.intersection(a), _WEEKDAYS.intersection(b)
    if days_a and days_b and not days_a & days_b:
        return True
    names_a = {x for x in a if not x[0].isdigit() and x != NEGATED}
    names_b = {x for x in b if not x[0].isdigit() and x != NEGATED}
    nums_a, nums_b = set(a) - names_a - {NEGATED}, set(b) - names_b - {NEGATED}
    other_names = bool(names_a and names_b and not names_a & names_b) and not copied
    return other_names or (numbers and bool(nums_a and nums_b and nums_a != nums_b))


def _same_key(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Most names and numbers of two sentences are the same: three of them at least, or two
    with a number (two names alone, a coach and his player, are in every report)."""
    sa, sb = set(a), set(b)
    shared = sa & sb
    enough = len(shared) >= 3 or (len(shared) == 2 and any(x[0].isdigit() for x in shared))
    return enough and len(shared) >= 0.6 * len(sa | sb)


def trace_copies(articles: list[Article], embedder: Embedder) -> list[Derivation]:
    """Copies within one story, the articles taken in the order given (derived -> original)."""
    tracer = CopyTracer()
    for art in articles:
        tracer.add(art, embedder.embed)
    return tracer.derivations


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
