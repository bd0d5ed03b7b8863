"""Clean raw article text: repair mojibake, drop web boilerplate, split sentences.

Everything here is rule based and pure (Article in, new Article out) so it runs at
thousands of articles per second and can be mapped over a cluster. Later stages cite
sentences by character offsets into the cleaned `Article.text`, so this is the last
stage allowed to change the text.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Iterable

import ftfy

from newsloom.models import Article, Sentence, content_id

# --- mojibake -----------------------------------------------------------------------------

# Characters that the `sloppy-cp874` codec (registered by importing ftfy) writes as bytes
# >= 0x80: UTF-8 text wrongly decoded as Thai cp874 consists of runs of them.
_CP874_UPPER = "".join(
    ch for ch in bytes(range(0x80, 0x100)).decode("sloppy-cp874") if not ch.isspace()
)
_CP874_RUN = re.compile(f"[{re.escape(_CP874_UPPER)}]{{2,}}")
_THAI = re.compile("[\u0e01-\u0e5b]")
# a UTF-8 lead byte read as latin-1/cp1252 followed by a continuation byte read the same way
_MOJIBAKE_HINT = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u20ac\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030"
    "\u0160\u2039\u0152\u017d\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122"
    "\u0161\u203a\u0153\u017e\u0178]"
)
_EDGE_PUNCT = "“”‘’–—…•\u00a0"


def _fix_cp874_run(match: re.Match[str]) -> str:
    run = match.group(0)
    if not _THAI.search(run):
        return run
    core = run.strip(_EDGE_PUNCT)
    try:
        fixed = core.encode("sloppy-cp874").decode("utf-8")
    except UnicodeError:
        return run  # real Thai text, or not this kind of mojibake
    start = run.index(core)
    return run[:start] + fixed + run[start + len(core) :]


def fix_mojibake(text: str) -> str:
    """Undo UTF-8 read as cp874 (`ยฃ` -> `£`) and as cp1252/latin-1 (`Â£`, `â€™`)."""
    if text.isascii():
        return text
    text = _CP874_RUN.sub(_fix_cp874_run, text)
    if not _MOJIBAKE_HINT.search(text):  # ftfy is slow; most text needs no repair
        return unicodedata.normalize("NFC", text)
    return ftfy.fix_text(text, uncurl_quotes=False, normalization="NFC")


# --- boilerplate ----------------------------------------------------------------------------

_DROP_LINE = re.compile(
    r"""^(?:
      .{0,40}\bpresentational\b.{0,40}
    | read\ more(?:\ of\ this\ story|\ here)?\W*
    | (?:read|see)\ (?:more|also)\s*[:>»].{0,150}
    | visited\ \d[\d,]*\ times?.{0,40}
    | (?:share|share\ this(?:\ article|\ story|\ page)?|share\ on\ \w+|copy\ link|tweet|email|print)
    | (?:\d+\ )?comments?(?:\ \(\d+\))?
    | (?:leave\ a|add\ a|post\ a|view)\ comments?.{0,40}
    | follow\ us\ on\b.{0,120}
    | (?:sign\ up|subscribe)\b.{0,80}\bnewsletters?\b.{0,80}
    | subscribe(?:\ now|\ today)?\W*
    | advertisement|sponsored(?:\ content)?|skip\ (?:to\ content|advertisement)
    | related\ (?:topics|articles|stories|content|links)
    | (?:more|top)\ (?:on\ this\ story|stories)
    | continue\ reading.{0,60}
    | click\ here\ to\b.{0,120}
    | (?:all\ )?rights\ reserved\.?
    | (?:©|\(c\)|copyright)\s*(?:\d{4}|[a-z]).{0,100}
    | \(?(?:image|photo|picture)\ (?:source|credit)s?\b.{0,100}
    | getty\ images|reuters|afp|ap\ photo.{0,60}
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
_INLINE_JUNK = re.compile(r"[ \t]*\b\d+px presentational [\w ]{0,20}?line\b[ \t]*", re.I)
_COOKIE = re.compile(r"\bcookies?\b", re.IGNORECASE)
_COOKIE_CUE = re.compile(
    r"\b(?:we use cookies|accept(?: all)? cookies|cookie (?:policy|settings|preferences)"
    r"|consent|privacy|this (?:site|website)|browsing|browser|our use of)\b",
    re.IGNORECASE,
)
_CAPTION = re.compile(
    r"^(?:image|media|photo|video|picture)\s*(?:caption|copyright|source)[\s:,.\-–—]*(.*)$",
    re.IGNORECASE,
)
_GRAPHIC = re.compile(r"^[\w’'.,\- ]{1,50} (?:map|graphic|chart|infographic)$", re.IGNORECASE)
_BYLINE = re.compile(
    r"^By\s+((?:[A-Z][\w’'.\-]*+\s*){1,5}(?:(?:and|&)\s+(?:[A-Z][\w’'.\-]*+\s*){1,4})?)"
    r"(?:,.{0,60}|\s+in\s+[A-Z][\w\- ]{1,40})?$"
)
_WS = r"[ \t\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]"
_SPACES = re.compile(rf"{_WS}{{2,}}|(?! ){_WS}")  # only what needs changing: fast
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_END_PUNCT = tuple('.!?:;"”’)…')


# Page furniture that survives extraction as text: photo credits, share and print widgets,
# "watch/read more" links, agency footers. Whole lines are dropped here; `is_furniture` also
# guards statement splitting, where a credit glued to a paragraph ends up a sentence alone.
_AGENCY = (
    r"(?:AFP|AP|Reuters|EPA(?:-EFE)?|EFE|Getty\s*Images|Shutterstock|Xinhua|Anadolu|Bloomberg"
    r"|Associated\s+Press|Agence\s+France[- ]Presse|dpa|SIPA|Alamy|PA(?:\s+Media|\s+Wire)?"
    r"|ANI|PTI|Press\s+Association|Pool|Handout)"
)
_NAME_RUN = r"[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){0,3}"
_FURNITURE = re.compile(
    rf"""^[(\[]?(?:
      (?:photo(?:graph)?s?|images?|pictures?|video|credits?|illustration|graphic)
        (?:\s+credits?)?\s*(?:[:/|©]|by\b)\s*.{{0,90}}
    | (?:{_NAME_RUN}\s*(?:/|for|via)\s*)?{_AGENCY}(?:\s*(?:/|via|photo|-|–)\s*{_NAME_RUN})*
        (?:\s*(?:/|via)\s*{_AGENCY})?(?:\s*file)?(?:\s+photo)?
    | {_NAME_RUN}\s*/\s*(?:{_AGENCY}|The\s+[A-Z][\w]+(?:\s+[A-Z][\w]+){{0,2}})
    | .{{0,80}}\b(?:via|/)\s*{_AGENCY}
    | (?:AP|AFP|Reuters)\s+Photo\b.{{0,60}}
    | print\s+friendly,?\s*pdf\s*(?:&|and)\s*email
    | (?:share|click)\s+(?:this|to\s+(?:share|print|email)|on)\b.{{0,80}}
    | (?:facebook|twitter|x|whatsapp|linkedin|pinterest|reddit|email|e-mail|print|telegram|
         messenger|copy\s+link|comments?)
        (?:\s*[|,/·•]?\s*(?:facebook|twitter|x|whatsapp|linkedin|pinterest|reddit|email|
         e-mail|print|telegram|messenger|copy\s+link|comments?))*
    | (?:watch|listen)\b.{{0,80}}\b(?:above|below|here|now|video|live)
    | (?:watch|listen|video|read\s+more|also\s+read|read\s+also|related|recommended|
         more\s+(?:from|on)\b.{{0,40}}?|see\s+also|don'?t\s+miss|trending)\s*[:|>»].{{0,160}}
    | (?:read|see)\s+more\b.{{0,120}}
    | (?:additional\s+)?(?:reporting|writing|editing|compiled)\s+by\b.{{0,200}}
    | (?:this\s+(?:story|article|post|page)\s+(?:has\s+been|was|will\s+be|is\s+being)
         \s+(?:updated|corrected)).{{0,160}}
    | this\s+is\s+an?\s+(?:developing|breaking)\s+(?:news\s+)?story.{{0,160}}
    | check\s+back\s+(?:later\s+|soon\s+)?for\s+(?:more\s+)?updates.{{0,80}}
    )[.)\]]*$""",
    re.IGNORECASE | re.VERBOSE,
)


def is_furniture(text: str) -> bool:
    """Whether a line or sentence is page furniture rather than reporting: a photo credit
    ("AFP via Getty Images", "(Yves Malenfer / Associated Press)"), a share or print widget
    ("Print Friendly, PDF & Email"), a "watch/read more" line, an agency footer."""
    line = text.strip()
    return len(line) <= 240 and bool(_FURNITURE.match(line))


# Newsroom boilerplate inside reporting: every outlet writes it about whoever it asked, so
# two outlets writing it corroborate nothing ("did not respond to a request for comment").
_NO_COMMENT = re.compile(
    r"\b(?:(?:did|does|could|would)\s*(?:not|n[’']t)\s+(?:immediately\s+)?"
    r"(?:respond|reply|return)\w*\s+to\s+(?:an?\s+|several\s+|multiple\s+|repeated\s+)?"
    r"(?:\w+\s+)?(?:requests?|messages?|calls?|emails?|inquir\w+|queries)"
    r"|(?:declined|refused)\s+(?:to\s+)?comment|could\s*(?:not|n[’']t)\s+be\s+reached"
    r"|(?:not|no)\s+(?:immediately\s+)?(?:available|reached)\s+for\s+(?:a\s+)?comment)",
    re.IGNORECASE,
)


def is_no_comment(text: str) -> bool:
    """Whether a sentence is a "did not respond to a request for comment" line: reporting, but
    boilerplate that never makes a fact (see `_NO_COMMENT`)."""
    return len(text) <= 300 and bool(_NO_COMMENT.search(text))


def _is_boilerplate(line: str) -> bool:
    if _DROP_LINE.match(line) or is_furniture(line):
        return True
    return len(line) < 400 and bool(_COOKIE.search(line) and _COOKIE_CUE.search(line))


def _split_blocks(text: str) -> list[list[str]]:
    """Text to blocks (separated by blank lines) of whitespace-normalised lines."""
    text = _INVISIBLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    blocks: list[list[str]] = [[]]
    for raw in _SPACES.sub(" ", text).split("\n"):
        line = raw.strip()
        if line:
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    return [b for b in blocks if b]


def _clean_block(lines: list[str], captions: list[str], bylines: list[str]) -> list[str]:
    """Paragraphs of one block, with captions and bylines moved out and boilerplate dropped."""
    kept: list[str] = []
    for line in lines:
        cap = _CAPTION.match(line)
        if cap:
            # a short line just before a caption marker in the same block is its alt text
            if kept and len(kept[-1]) < 250:
                captions.append(kept.pop())
            if cap.group(1).strip():
                captions.append(cap.group(1).strip())
        elif _GRAPHIC.match(line) and len(lines) == 1:
            captions.append(line)
        elif _BYLINE.match(line) and len(line) < 90:
            bylines.append(line)
        elif not _is_boilerplate(line):
            kept.append(line)
    return _join_wrapped(kept)


def _join_wrapped(lines: list[str]) -> list[str]:
    """Join hard-wrapped lines of one paragraph; a line ending a sentence ends a paragraph."""
    paras: list[str] = []
    for i, line in enumerate(lines):
        if i and _wrapped(lines[i - 1], line):
            paras[-1] += " " + line
        else:
            paras.append(line)
    return paras


def _wrapped(prev: str, line: str) -> bool:
    """Whether `line` continues `prev` (a line broken mid-sentence, not a heading)."""
    if prev.endswith(_END_PUNCT):
        return False
    return line[0].islower() or line[0].isdigit() or len(prev) >= 60


# --- sentences -----------------------------------------------------------------------------

_TITLES = {
    "mr", "mrs", "ms", "dr", "prof", "gen", "col", "lt", "sgt", "capt", "maj", "rep", "sen",
    "gov", "pres", "st", "jr", "sr", "rev", "hon", "adm", "cmdr", "brig", "supt", "insp",
    "det", "mt", "ft", "fr", "messrs", "mme", "cpl", "pte", "lieut", "atty",
}  # fmt: skip
_ABBREVS = {
    "inc", "ltd", "co", "corp", "plc", "llc", "vs", "etc", "no", "nos", "vol", "approx",
    "est", "dept", "univ", "assn", "bros", "ave", "blvd", "rd", "fig", "al", "e.g", "i.e",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "ph.d", "a.m", "p.m", "u.s", "u.k", "u.n", "e.u",
}  # fmt: skip
_STARTERS = {
    "the", "a", "an", "he", "she", "it", "they", "we", "i", "you", "but", "and", "in", "on",
    "at", "this", "that", "these", "those", "there", "his", "her", "its", "their", "our",
    "some", "many", "officials", "meanwhile", "however", "after", "before", "when", "if",
}  # fmt: skip
_EN_WORDS_TEXT = """the of and to in is that for on with as was by at from he it said are be has
    have his her they this were an not but which will been their who had its"""
# Function words of the Latin-script languages met in web news (pt, es, it, fr, de, id).
_OTHER_WORDS_TEXT = """de la que el los las en un una es del se por con para y o em um uma
    do da dos das não é com os di il che per non sono della le des les et est du dans une pas
    pour sur qui au der die das und ist nicht mit von den zu ein eine sich auf yang dan ini itu
    dengan untuk tidak dari dalam akan ke ada"""
_EN_WORDS = frozenset(_EN_WORDS_TEXT.split())
_OTHER_WORDS = frozenset(_OTHER_WORDS_TEXT.split())


def looks_english(text: str) -> bool:
    """Whether the text reads as English, by the share of common function words.

    The extractors are English models; on other languages they invent people and places
    (Indonesian "bukan" geocoded as a town). On the 181 AEB pages English text has 17-37%
    English function words, other languages under 10% and more foreign than English ones,
    or mostly non-Latin letters; lists of scores or ingredients have neither and stay English.
    """
    sample = text[:4000].lower()
    letters = [c for c in sample if c.isalpha()]
    if len(letters) >= 100 and sum(c > "\u024f" for c in letters) > 0.3 * len(letters):
        return False  # mostly beyond the Latin script (Cyrillic, CJK, Arabic...)
    words = re.findall(r"\w+", sample)
    if len(words) < 30:
        return True  # too little to judge
    english = sum(w in _EN_WORDS for w in words) / len(words)
    other = sum(w in _OTHER_WORDS for w in words) / len(words)
    return not (english < 0.1 and other > english)


_PARA_BREAK = re.compile(r"\n[ \t]*\n")
_CANDIDATE = re.compile(r"(?<![.!?…])[.!?…]+[\"'”’)\]]*(?=\s|$)")  # run starts only: linear
_WORD_BEFORE = re.compile(r"(\S+)$")
_WORD_AFTER = re.compile(r"\s*[\"'“‘(\[]*(\S*)")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans (start, end) in `text`; no sentence crosses a blank-line paragraph break."""
    spans: list[tuple[int, int]] = []
    start = 0
    for gap in [*_PARA_BREAK.finditer(text), None]:
        end = gap.start() if gap else len(text)
        while start < end and text[start].isspace():
            start += 1
        if start < end:
            spans.extend(_split_paragraph(text, start, end))
        start = gap.end() if gap else end
    return spans


def _split_paragraph(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    sent_start = start
    for match in _CANDIDATE.finditer(text, start, end):
        if _is_boundary(text, match, end):
            spans.append((sent_start, match.end()))
            nxt = match.end()
            while nxt < end and text[nxt].isspace():
                nxt += 1
            sent_start = nxt
    if sent_start < end:
        spans.append((sent_start, end))
    trimmed = [(s, s + len(text[s:e].rstrip())) for s, e in spans]
    return [(s, e) for s, e in trimmed if e > s]


def _is_boundary(text: str, match: re.Match[str], end: int) -> bool:
    after = _WORD_AFTER.match(text, match.end(), end)
    nxt = after.group(1) if after else ""
    if not nxt:
        return True
    if nxt[0].islower() or nxt[0] in ",;:-–—)":
        return False
    punct = match.group(0)
    if not punct.startswith(".") or punct.startswith(".."):
        return True
    if len(punct.rstrip("\"'”’)]")) > 1:
        return True
    before = _WORD_BEFORE.search(text, max(0, match.start() - 40), match.start())
    word = before.group(1).lstrip("\"'“‘([") if before else ""
    if word.lower() in ("a.m", "p.m"):
        rest = text[match.end() : match.end() + 40].lstrip()
        return not _names_the_time(nxt, rest)
    return not _is_abbreviation(word, nxt, quoted=len(punct) > 1)


_TIME_FOLLOWERS = {
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
    "sep", "sept", "oct", "nov", "dec", "today", "yesterday", "tomorrow", "tonight",
    "eastern", "central", "mountain", "pacific", "local", "et", "est", "edt", "ct", "cst",
    "cdt", "mt", "mst", "mdt", "pt", "pst", "pdt", "gmt", "utc", "bst", "cet", "cest", "eet",
    "eest", "wet", "msk", "ist", "pkt", "ict", "wib", "sgt", "hkt", "jst", "kst", "aest",
    "aedt", "acst", "awst", "nzst", "nzdt", "sast", "wat", "cat", "eat", "ast", "adt",
}  # fmt: skip


def _names_the_time(nxt: str, rest: str) -> bool:
    """Whether what follows "a.m."/"p.m." still belongs to the time ("9 p.m. Tuesday", "5
    p.m. EST", "3:05 a.m. Eastern", "9 p.m. (1800 GMT)", "7 p.m. Paris time"); otherwise the
    period ends the sentence ("at around 9 p.m. More than 20 fire engines ...", "9 p.m. US
    troops ...")."""
    if rest.startswith("("):
        return True
    if nxt.strip("\"'“‘(),.;:").lower() in _TIME_FOLLOWERS:
        return True
    return re.match(r"\S+\s+time\b", rest, re.IGNORECASE) is not None


def _is_abbreviation(word: str, nxt: str, quoted: bool) -> bool:
    """Whether the period after `word` (followed by `nxt`) marks an abbreviation."""
    if quoted or not word:
        return False
    low = word.lower()
    if low in _TITLES or (len(word) == 1 and word.isupper()):
        return True
    if nxt[0].isdigit():
        return low in _ABBREVS
    dotted = "." in word and all(len(part) <= 2 for part in word.split("."))
    if low in _ABBREVS or dotted:
        # "in the U.S. The president ..." still ends a sentence
        return nxt.lower().strip("\"'“‘") not in _STARTERS
    return False


# --- article --------------------------------------------------------------------------------


def clean_text(text: str) -> tuple[str, list[str], list[str]]:
    """(clean text, captions, bylines): paragraphs joined by one blank line."""
    captions: list[str] = []
    bylines: list[str] = []
    paras: list[str] = []
    for block in _split_blocks(_INLINE_JUNK.sub("\n\n", fix_mojibake(text))):
        paras.extend(_clean_block(block, captions, bylines))
    return "\n\n".join(paras), captions, bylines


def derive_title(text: str, limit: int = 120) -> str:
    """A title from the first line (or sentence) of the text, trimmed at a word."""
    first = text.split("\n", 1)[0].strip()
    spans = split_sentences(first)
    if spans and len(first) > limit:
        first = first[spans[0][0] : spans[0][1]]
    if len(first) > limit:
        first = first[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return first


def clean_article(article: Article) -> Article:
    """A cleaned copy of `article`: repaired text, captions split off, sentences filled."""
    text, captions, bylines = clean_text(article.text)
    meta = dict(article.meta)
    title = " ".join(fix_mojibake(article.title).split())
    author = " ".join(fix_mojibake(article.author).split())
    if bylines:
        meta["bylines"] = bylines
        if not author:
            author = _byline_name(bylines[0])
    if not title and text:
        title = derive_title(text)
        meta["title_derived"] = True
    sentences = _sentences(text)
    language = article.language
    if language == "en" and not looks_english(text):
        language = "und"  # BCP 47 "undetermined": not English, which is what matters here
    return dataclasses.replace(
        article,
        language=language,
        id=article.id or content_id(text, title, article.url),
        text=text,
        title=title,
        author=author,
        captions=[*article.captions, *captions],
        sentences=sentences,
        meta=meta,
    )


def _byline_name(byline: str) -> str:
    """The person in "By BBC’s Jane Doe in Kabul": the outlet's possessive is dropped."""
    match = _BYLINE.match(byline)
    name = match.group(1).strip() if match else ""
    return re.sub(r"^\S+[’']s\s+", "", name)


def _sentences(text: str) -> list[Sentence]:
    out: list[Sentence] = []
    paragraph = 0
    prev_end = 0
    for start, end in split_sentences(text):
        if out and "\n\n" in text[prev_end:start]:
            paragraph += 1
        out.append(Sentence(len(out), text[start:end], start, end, paragraph))
        prev_end = end
    return out


def clean_batch(articles: Iterable[Article]) -> list[Article]:
    """Clean many articles (order kept)."""
    return [clean_article(a) for a in articles]
