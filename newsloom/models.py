"""The data model every stage reads and writes.

An `Article` travels through the pipeline and each stage fills in its own fields
(spaCy's one-`Doc` idea). Every extracted item points back to the sentence it came
from by `sentence` index and to the text by character offsets into `Article.text`,
so every fact in a briefing can be cited to the exact source sentence.
All models round-trip through plain dicts (`to_dict` / `from_dict`) so the store
and the JSON output map them without knowing their fields.
"""

from __future__ import annotations

import bisect
import dataclasses
import hashlib
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


def content_id(text: str, title: str = "", url: str = "") -> str:
    """Stable article id: a hash of the cleaned content (not of the file name)."""
    basis = "\n".join(part.strip() for part in (title, text) if part and part.strip())
    if not basis:
        basis = url
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()[:16]


_FIELDS: dict[type, tuple[str, ...]] = {}
_FIELD_SETS: dict[type, frozenset[str]] = {}  # (`dataclasses.fields` is slow enough to matter)
_LEAVES = frozenset({str, int, float, bool, type(None)})


def plain(value: Any) -> Any:
    """JSON-ready copy of a dataclass tree, as `dataclasses.asdict` gives but without its deep
    copy of every leaf value, which was most of the single writer's time per article (leaves
    are taken as they are, without a call each)."""
    cls = type(value)
    if cls in _LEAVES:
        return value
    if cls is list:
        return [v if type(v) in _LEAVES else plain(v) for v in value]
    if cls is tuple:
        return tuple([v if type(v) in _LEAVES else plain(v) for v in value])
    if cls is dict:
        return {k: v if type(v) in _LEAVES else plain(v) for k, v in value.items()}
    names = _FIELDS.get(cls)
    if names is None:
        if not dataclasses.is_dataclass(value):
            return value
        names = _FIELDS[cls] = tuple(f.name for f in dataclasses.fields(value))
    out = {}
    for name in names:
        v = getattr(value, name)
        out[name] = v if type(v) in _LEAVES else plain(v)
    return out


def _from_dict(cls: type[T], data: dict[str, Any]) -> T:
    """Build a dataclass from a dict, ignoring unknown keys (forward compatible)."""
    names = _FIELD_SETS.get(cls)
    if names is None:
        names = _FIELD_SETS[cls] = frozenset(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]
    return cls(**{k: v for k, v in data.items() if k in names})


@dataclass(slots=True)
class Sentence:
    """One sentence; `start`/`end` are offsets into `Article.text`."""

    index: int
    text: str
    start: int
    end: int
    paragraph: int = 0

    def to_dict(self) -> dict[str, Any]:
        return plain(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Sentence:
        return _from_dict(cls, data)


@dataclass(slots=True)
class Mention:
    """A named entity mention. `label` is PERSON, ORG, GPE, LOC, NORP, ...;
    `norm` is the canonical name after merging aliases within the article/story."""

    text: str
    label: str
    start: int
    end: int
    sentence: int
    norm: str = ""

    def to_dict(self) -> dict[str, Any]:
        return plain(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Mention:
        return _from_dict(cls, data)


@dataclass(slots=True)
class Place:
    """A place mention resolved against the gazetteer."""

    name: str  # canonical gazetteer name, e.g. "Kandahar"
    text: str  # as written in the article
    lat: float | None
    lon: float | None
    country: str = ""  # ISO 3166 alpha-2
    feature: str = ""  # country | admin1 | admin2 | city | continent | region
    geonameid: int | None = None
    population: int = 0
    sentence: int = -1
    start: int = -1
    end: int = -1
    form: str = ""  # "" (a place name) | demonym ("Russian") | embedded ("Washington" Post)

    def to_dict(self) -> dict[str, Any]:
        return plain(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Place:
        return _from_dict(cls, data)


@dataclass(slots=True)
class TimeRef:
    """A time expression resolved against the publication date.
    `value` is ISO (YYYY-MM-DD, YYYY-MM, YYYY, or YYYY-Www) or "" if unresolved."""

    text: str
    value: str
    start: int
    end: int
    sentence: int
    kind: str = "date"  # date | time | duration | set
    high: str = ""  # a range's upper bound ("between 12 and 18 months": value P12M, high P18M)
    timeml: str = ""  # the TIMEX3 value where it differs ("Thursday night": 2021-08-12TNI)
    role: str = "event"  # event | deadline (or plan: not yet come) | background (see dates.py)

    def to_dict(self) -> dict[str, Any]:
        return plain(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TimeRef:
        return _from_dict(cls, data)


@dataclass(slots=True)
class Quote:
    """Reported speech: `text` is the content, `speaker` the resolved full name
    (or a description such as "a resident"); `direct` when in quotation marks."""

    text: str
    speaker: str
    start: int
    end: int
    sentence: int
    direct: bool = True
    cue: str = ""  # the reporting verb: said, told, tweeted ...
    speaker_start: int = -1
    speaker_end: int = -1
    kind: str = "speech"  # speech (reported words) | stance ("X attacked Y", "X wants Z")
    title: str = ""  # the title written before the speaker's name: "Mr.", "Mayor", "Sen."
    cue_start: int = -1  # char offset of the cue in the article text (-1: unknown)

    def to_dict(self) -> dict[str, Any]:
        return plain(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Quote:
        return _from_dict(cls, data)


@dataclass(slots=True)
class Quantity:
    """A number with what it counts: "nearly 3,000 troops" ->
    value=3000, counts="troops", qualifier="nearly"."""

    text: str
    value: float
    counts: str
    start: int
    end: int
    sentence: int
    qualifier: str = ""  # "" (exact) | nearly | about | more than | less than | at least | up to
    unit: str = ""  # currency or unit: USD, GBP, %, km ...

    def to_dict(self) -> dict[str, Any]:
        return plain(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Quantity:
        return _from_dict(cls, data)


@dataclass(slots=True)
class Figure:
    """A quantity as part of a claim: `quantity` indexes `Article.quantities`; `role` says
    where it sits (agent | patient | other) and `holder` whose figure it is ("306 for
    Biden" -> "Biden"), so two claims compare Biden's figure with Biden's, never Trump's."""

    quantity: int
    role: str = "other"
    holder: str = ""

    def to_dict(self) -> dict[str, Any]:
        return plain(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Figure:
        return _from_dict(cls, data)


@dataclass(slots=True)
class Claim:
    """Who did what to whom, where, when, how many: one clause of one sentence.

    `verb` is the lemma with its particle or light noun ("take over", "seize control");
    `agent` is the doer and `patient` the one done to, whatever the voice ("Kandahar fell
    to the Taliban" and "the Taliban captured Kandahar" both give agent Taliban, patient
    Kandahar). `*_names` are the normalised names inside each argument; `start`/`end`
    span the clause in `Article.text`, and `verb_start` is where its verb is: a clause can
    reach into the next one ("..., but"), but the claim is the verb's."""

    sentence: int
    start: int
    end: int
    verb: str
    negated: bool = False
    passive: bool = False
    agent: str = ""
    patient: str = ""
    agent_names: list[str] = field(default_factory=list)
    patient_names: list[str] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    time: str = ""  # ISO value of the first date expression in the clause
    figures: list[Figure] = field(default_factory=list)
    reported: bool = False  # the clause is what someone said (inside a quote or a "said" clause)
    main: bool = False  # the sentence's main clause
    verb_start: int = -1  # -1 in claims stored before it was read

    def to_dict(self) -> dict[str, Any]:
        return plain(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Claim:
        claim = _from_dict(cls, data)
        claim.agent_names = list(data.get("agent_names", []))
        claim.patient_names = list(data.get("patient_names", []))
        claim.places = list(data.get("places", []))
        claim.figures = [Figure.from_dict(f) for f in data.get("figures", [])]
        return claim


@dataclass(slots=True)
class Article:
    """One news report. `id` is a content hash; `source` is the outlet name."""

    id: str
    text: str
    source: str = ""
    url: str = ""
    title: str = ""
    published: str = ""  # ISO date or datetime, "" if unknown
    author: str = ""
    language: str = "en"
    origin: str = ""  # where it was read from: path[:line] or "-"
    captions: list[str] = field(default_factory=list)
    sentences: list[Sentence] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)
    times: list[TimeRef] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    quantities: list[Quantity] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)  # lemmas of the lead's verbs (cluster)
    meta: dict[str, Any] = field(default_factory=dict)

    def sentence_at(self, offset: int) -> int:
        """Index of the sentence containing character `offset` (-1 if none)."""
        starts = [s.start for s in self.sentences]
        i = bisect.bisect_right(starts, offset) - 1
        if i >= 0 and offset < self.sentences[i].end:
            return self.sentences[i].index
        return -1

    @property
    def day(self) -> str:
        """Publication date as YYYY-MM-DD (or shorter), "" if unknown."""
        return self.published[:10]

    def to_dict(self) -> dict[str, Any]:
        return plain(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Article:
        art = _from_dict(cls, data)
        art.sentences = [Sentence.from_dict(s) for s in data.get("sentences", [])]
        art.mentions = [Mention.from_dict(m) for m in data.get("mentions", [])]
        art.places = [Place.from_dict(p) for p in data.get("places", [])]
        art.times = [TimeRef.from_dict(t) for t in data.get("times", [])]
        art.quotes = [Quote.from_dict(q) for q in data.get("quotes", [])]
        art.quantities = [Quantity.from_dict(q) for q in data.get("quantities", [])]
        art.claims = [Claim.from_dict(c) for c in data.get("claims", [])]
        art.captions = list(data.get("captions", []))
        art.actions = list(data.get("actions", []))
        art.meta = dict(data.get("meta", {}))
        return art


@dataclass(slots=True)
class Link:
    """Why an article belongs to a story: score and evidence (shared entities,
    places, dates, most similar sentence pair)."""

    article_id: str
    story_id: str
    score: float
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return plain(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Link:
        return _from_dict(cls, data)


@dataclass(slots=True)
class Derivation:
    """`article_id` copies or rewrites `original_id`. `kind`: exact (same text), near (the
    same text lightly edited), rewrite (every sentence reworded, spun or summarised) or
    same_wire (both carry one agency's text beside their own: one origin, and
    `original_id` is the earlier of the two). `evidence` says what matched."""

    article_id: str
    original_id: str
    kind: str
    score: float
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return plain(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Derivation:
        return _from_dict(cls, data)


@dataclass(slots=True)
class Story:
    """A group of articles reporting one event. `id` never changes once given."""

    id: str
    title: str = ""
    article_ids: list[str] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    derivations: list[Derivation] = field(default_factory=list)
    merged_from: list[str] = field(default_factory=list)
    storyline: str = ""  # id of the storyline (developing situation) the story belongs to

    def to_dict(self) -> dict[str, Any]:
        return plain(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Story:
        story = _from_dict(cls, data)
        story.links = [Link.from_dict(x) for x in data.get("links", [])]
        story.derivations = [Derivation.from_dict(x) for x in data.get("derivations", [])]
        story.article_ids = list(data.get("article_ids", []))
        story.merged_from = list(data.get("merged_from", []))
        return story


@dataclass(slots=True)
class Citation:
    """A pointer to one source sentence."""

    article_id: str
    sentence: int
    source: str
    text: str

    def to_dict(self) -> dict[str, Any]:
        return plain(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Citation:
        return _from_dict(cls, data)


@dataclass(slots=True)
class Fact:
    """A statement aligned across a story's articles.

    `status` is corroborated | single | conflict | update. `sources` lists every outlet
    stating it; `independent_sources` counts outlets (sites) after folding copies, shared
    wire text and shared origins (five rewrites of one AFP dispatch count once, and so do
    two pages of one site). `origin` is the party the fact is attributed to ("AFP", "the
    UN") when there is one. An `update` is one figure that changed over time (a toll 50,
    then 73, then 100+): `updates` lists each value with its time, sources and citations,
    oldest first; a `conflict` is a disagreement at one time, described in `conflict`."""

    id: str
    text: str
    status: str
    sources: list[str]
    independent_sources: int
    citations: list[Citation] = field(default_factory=list)
    origin: str = ""
    date: str = ""  # ISO date of the event, if the fact is dated
    conflict: dict[str, Any] = field(default_factory=dict)  # what disagrees, with each side
    updates: list[dict[str, Any]] = field(default_factory=list)  # {value, time, sources, citations}

    def to_dict(self) -> dict[str, Any]:
        return plain(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fact:
        fact = _from_dict(cls, data)
        fact.citations = [Citation.from_dict(c) for c in data.get("citations", [])]
        fact.updates = [dict(u) for u in data.get("updates", [])]
        return fact
