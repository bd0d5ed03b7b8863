"""Read news reports from files, folders, globs and stdin into `Article`s.

Formats are detected by extension and by sniffing the content: plain text (optionally
with a ` date YYYY-MM-DD <headline>` first line), HTML pages, JSONL, RSS/Atom feeds and
WARC archives; any of them may be gzipped. Bad input never stops a batch: it becomes
one `InputError` naming the file (and line) and the problem, yielded in place of the
article. Text is left uncleaned here (that is `newsloom.clean`'s job), except that the
main text of HTML is extracted. Nothing found inside an article is ever fetched.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import gzip
import io
import json
import logging
import os
import re
import sys
import zlib
from collections.abc import Collection, Iterator, Mapping, Sequence
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import urlparse

import lxml.html
from lxml import etree

from newsloom.clean import is_furniture
from newsloom.errors import InputError
from newsloom.limits import (
    MAX_ARTICLE_CHARS,
    MAX_HTML_BYTES,
    MAX_HTML_ELEMENTS,
    MAX_INPUT_BYTES,
    MAX_JSON_DEPTH,
)
from newsloom.models import Article, content_id

if TYPE_CHECKING:
    from newsloom.store import Store

Item = Article | InputError

MAX_HEADLINE_CHARS = 300  # longer first lines are text, not a headline
_DATE_LINE = re.compile(r"\A\ufeff? ?date (\d{4}-\d{2}(?:-\d{2})?)(?:[ \t]+([^\n]*))?\n?")
_GLOB_CHARS = re.compile(r"[*?\[]")
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")
_HTML_SNIFF = re.compile(r"<!doctype html|<html[\s>]|<head[\s>]|<body[\s>]", re.IGNORECASE)
_FEED_ROOT = re.compile(r"<(?:rss|feed|rdf:RDF)[\s>]")
_BLOCK_TAGS = frozenset(
    {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6"}
    | {"blockquote", "section", "article", "tr", "table", "figure"}
)
_PARSER = lxml.html.HTMLParser(
    encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True
)
_HTML_EXT = {".html", ".htm", ".xhtml", ".shtml"}
_JSONL_EXT = {".jsonl", ".ndjson"}
_FEED_EXT = {".rss", ".atom", ".xml"}
_WORD = re.compile(r"\w+")
_MIN_WORDS = 12  # less than this is a menu or an error page, not an article
_FALLBACK_RATIO = 0.3  # chosen on AEB: below it, precision mode lost the article
_MAX_FALLBACK_ELEMENTS = 2000  # AEB's largest page has 1,596 elements
_KNOWN_JSONL = {"id", "text", "html", "url", "title", "date", "published", "source", "author"}
log = logging.getLogger(__name__)


def read_inputs(
    paths: Sequence[str],
    stdin: BinaryIO | None = None,
    max_bytes: int = MAX_INPUT_BYTES,
    labels: Mapping[str, str] | None = None,
    skip: Collection[str] = (),
) -> Iterator[Item]:
    """Yield one Article (or InputError) per report found in `paths`, in a stable order.

    `labels` names inputs for people: a file given as a key of `labels` is reported and
    stored under its label (an upload's own file name, not the server's temp path).
    Files in `skip` (the database being written, beside the articles) are passed over
    when met in a folder or glob."""
    skipped = {os.path.realpath(p) for p in skip}
    for item in _read_all(paths, stdin, max_bytes, labels or {}, skipped):
        if isinstance(item, InputError):
            yield InputError(printable(item.where), item.problem)
        else:
            item.origin = printable(item.origin)
            art = _bounded(item)
            # (a text of spaces, digits and punctuation, like the rest of a NUL-led fragment
            # "\x00\t  0", is none: an article has words)
            has_text = any(c.isalpha() for c in art.text)
            yield art if has_text else InputError(art.origin, "no text")


def printable(name: str) -> str:
    """A file name fit to print and store: bytes that are not UTF-8 (kept by Python as lone
    surrogates) are written as escapes instead of failing every write."""
    return name.encode("utf-8", "backslashreplace").decode("utf-8")


def _read_all(
    paths: Sequence[str],
    stdin: BinaryIO | None,
    max_bytes: int,
    labels: Mapping[str, str],
    skip: set[str],
) -> Iterator[Item]:
    for spec in map(str, paths):
        if spec == "-":
            stream = stdin if stdin is not None else sys.stdin.buffer
            data = stream.read(max_bytes + 1)
            if len(data) > max_bytes:
                yield InputError("-", f"input larger than {max_bytes} bytes")
                continue
            yield from _read_bytes(data, "-", "stdin", max_bytes)
            continue
        for path in _expand(spec):
            if isinstance(path, Path) and str(path) != spec and os.path.realpath(path) in skip:
                continue
            if isinstance(path, InputError):
                yield path
            else:
                yield from _read_path(path, max_bytes, labels.get(str(path), str(path)))


def _bounded(art: Article) -> Article:
    """The article without control characters (stray NULs and the like: never text, and
    trouble for XML and terminals), its text cut if over MAX_ARTICLE_CHARS."""
    art.text = _CONTROL_CHARS.sub("", art.text)
    art.title = _CONTROL_CHARS.sub("", art.title)
    return _cap_text(art)


def _cap_text(art: Article) -> Article:
    """Cut a text over MAX_ARTICLE_CHARS at a paragraph (else sentence, else word) end.

    News articles are far shorter; a longer text is a dump or an attack, and parsing it
    whole would cost minutes (and over 1,000,000 characters spaCy refuses it)."""
    size = len(art.text)
    if size <= MAX_ARTICLE_CHARS:
        return art
    head = art.text[:MAX_ARTICLE_CHARS]
    floor = MAX_ARTICLE_CHARS // 2
    for mark in ("\n\n", "\n", ". ", " "):
        cut = head.rfind(mark)
        if cut >= floor:
            head = head[: cut + len(mark)].rstrip()
            break
    art.text = head
    art.meta["text_cut_from_chars"] = size
    log.warning(
        "%s: article text cut to %d of its %d characters (limit %d)",
        art.origin or "-",
        len(head),
        size,
        MAX_ARTICLE_CHARS,
    )
    return art


def refuse_id_clashes(
    articles: list[Article], store: Store, errors: list[InputError]
) -> list[Article]:
    """`articles` less those whose given id already names a different text.

    An id given in the input (JSONL/JSON `id`, the API) must name one text: a second,
    different text under a stored id (or one earlier in the batch) is an error naming
    both inputs, never a silent "already stored". The same text again is kept, to be
    skipped as stored. Ids made from the content cannot clash and cost no look-up."""
    kept: list[Article] = []
    first: dict[str, Article] = {}
    for art in articles:
        content = content_id(art.text, art.title, art.url)
        if art.id not in first:
            stored = art.id != content and store.has_article(art.id)
            first[art.id] = store.get_article(art.id) if stored else art
        other = first[art.id]
        if other is not art and content_id(other.text, other.title, other.url) != content:
            problem = (
                f"id {art.id!r} is already used by {other.origin or 'another article'}"
                " for a different text; give this article another id"
            )
            errors.append(InputError(art.origin or art.id, problem))
            continue
        kept.append(art)
    return kept


def _expand(spec: str) -> Iterator[Path | InputError]:
    """Files named by one argument: a file, a folder (recursive, sorted) or a glob."""
    if not spec.strip():
        yield InputError(repr(spec), "empty path")
        return
    path = Path(spec)
    if path.is_dir():
        found = _walk(path)
        if not found:
            yield InputError(spec, "folder holds no files")
        yield from found
        return
    if path.is_file():
        yield path
        return
    if _GLOB_CHARS.search(spec):
        matches = sorted(glob.glob(spec, recursive=True))
        files = [Path(m) for m in matches if Path(m).is_file()]
        if not files:
            yield InputError(spec, "no files match this pattern")
        yield from files
        return
    yield InputError(spec, "no such file or directory")


def _walk(root: Path) -> list[Path]:
    """Regular, non-hidden files under `root`, sorted. Linked folders are followed once
    each: a link that points back up (a loop) is not read again and again."""
    seen: set[str] = set()
    found: list[Path] = []
    for folder, dirs, files in os.walk(root, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen:
            dirs[:] = []
            continue
        seen.add(real)
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found += [Path(folder) / f for f in files if not f.startswith(".")]
    return sorted(p for p in found if p.is_file())


def _read_path(path: Path, max_bytes: int, where: str) -> Iterator[Item]:
    try:
        size = path.stat().st_size
        if size > max_bytes:
            yield InputError(where, f"file too large ({size} bytes, limit {max_bytes})")
            return
        with path.open("rb") as fh:  # a file may grow after the stat: read no more than allowed
            data = fh.read(size + 1)  # (not max_bytes + 1: that allocates all of it up front)
            if len(data) > size:
                data += fh.read(max_bytes + 1 - len(data))
    except OSError as exc:
        yield InputError(where, f"cannot read file ({exc.strerror or exc})")
        return
    if len(data) > max_bytes:
        yield InputError(where, f"file too large (over {max_bytes} bytes)")
        return
    yield from _read_bytes(data, where, _stem(path), max_bytes)


def _stem(path: Path) -> str:
    name = path.name
    for ext in (".gz", ".warc", ".jsonl", ".html", ".htm", ".txt", ".xml"):
        name = name.removesuffix(ext)
    return printable(name.split(".")[0] or path.name)


def _read_bytes(data: bytes, where: str, stem: str, max_bytes: int) -> Iterator[Item]:
    """Detect the format of one input and parse it.

    Gzip is never decompressed past `max_bytes`, so a compression bomb is one error
    and no memory blow-up; a WARC archive is read as a stream, so the records before
    the cap are kept."""
    lower = where.lower()
    gzipped = data[:2] == b"\x1f\x8b"
    if gzipped:
        lower = lower.removesuffix(".gz")
    if lower.endswith(".warc") or _head(data, gzipped).startswith(b"WARC/"):
        stream: io.BufferedIOBase = io.BytesIO(data)
        if gzipped:
            stream = gzip.GzipFile(fileobj=stream)
        yield from _read_warc(_CappedReader(stream, max_bytes), where)
        return
    if gzipped:
        try:
            data = _gunzip(data, max_bytes)
        except (OSError, EOFError, zlib.error) as exc:
            yield InputError(where, f"corrupt gzip data ({exc})")
            return
    if not data.strip():
        yield InputError(where, "empty file")
        return
    ext = os.path.splitext(lower)[1]
    if ext in _JSONL_EXT and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        yield from _read_jsonl(data.removeprefix(b"\xef\xbb\xbf").split(b"\n"), where)
        return
    text = decode_bytes(data)
    if text is None:
        binary = _looks_binary(data)
        yield InputError(where, "binary file (not text)" if binary else "undecodable bytes")
        return
    yield from _read_text(text, where, stem, ext)


def _head(data: bytes, gzipped: bool) -> bytes:
    """The first bytes of the (decompressed) content, for sniffing."""
    if not gzipped:
        return data[:16]
    try:
        return zlib.decompressobj(wbits=31).decompress(data[:4096], 16)
    except zlib.error:
        return b""


class _TooLarge(OSError):
    """More decompressed bytes than an input may have."""


class _CappedReader(io.RawIOBase):
    """A read-only stream that fails once more than `cap` bytes have been read from it."""

    def __init__(self, stream: io.BufferedIOBase, cap: int) -> None:
        self.stream, self.cap, self.total = stream, cap, 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunk = self.stream.read(self.cap + 1 - self.total if size < 0 else size)
        self.total += len(chunk)
        if self.total > self.cap:
            raise _TooLarge(f"decompressed data larger than {self.cap} bytes")
        return chunk

    def readinto(self, buffer: Any) -> int:
        chunk = self.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def _gunzip(data: bytes, max_bytes: int) -> bytes:
    """Decompress in chunks (one read of `max_bytes` would reserve all of it at once)."""
    out = bytearray()
    with gzip.GzipFile(fileobj=io.BytesIO(data)) as fh:
        while chunk := fh.read(1 << 20):
            out += chunk
            if len(out) > max_bytes:
                raise OSError(f"decompressed data larger than {max_bytes} bytes")
    return bytes(out)


def _looks_binary(data: bytes) -> bool:
    head = data[:8192]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    # a ratio, not "any NUL": one stray control character must not lose a whole article
    return controls > len(head) * 0.05


def decode_bytes(data: bytes, declared: str = "") -> str | None:
    """Bytes to text: BOM/UTF-8 first, then a declared charset, then detection, else None."""
    if _looks_binary(data):
        return None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    for charset in (declared, _meta_charset(data)):
        if charset:
            try:
                return data.decode(charset)
            except (LookupError, UnicodeDecodeError):
                pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    if best is not None:
        try:
            return data.decode(best.encoding)
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return None


def _meta_charset(data: bytes) -> str:
    match = re.search(rb"""<meta[^>]{1,300}?charset=["']?([\w-]+)""", data[:4096], re.IGNORECASE)
    if not match:
        match = re.search(rb"""<\?xml[^>]+encoding=["']([\w-]+)""", data[:200])
    return match.group(1).decode("ascii") if match else ""


def _read_text(text: str, where: str, stem: str, ext: str) -> Iterator[Item]:
    head = text.lstrip()[:2048]
    if ext == ".json" or (ext not in _JSONL_EXT and head.startswith("[")):
        yield from _read_json(text, where)
    elif ext in _JSONL_EXT or (ext == "" and head.startswith("{")):
        yield from _read_jsonl(text.split("\n"), where)
    elif _is_feed(head) or (ext in _FEED_EXT and head.startswith("<")):
        yield from _read_feed(text, where)
    elif ext in _HTML_EXT or _HTML_SNIFF.search(head):
        yield _html_item(text, where, "", stem)
    else:
        yield _plain_item(text, where, stem)


def _is_feed(head: str) -> bool:
    """Whether the document element, after any XML declaration and comments, is a feed's."""
    pos = 0
    while True:
        while pos < len(head) and head[pos].isspace():
            pos += 1
        for opener, closer in (("<?", "?>"), ("<!--", "-->")):
            if head.startswith(opener, pos):
                end = head.find(closer, pos + len(opener))
                if end < 0:
                    return False
                pos = end + len(closer)
                break
        else:
            return bool(_FEED_ROOT.match(head, pos))


def split_date_line(text: str) -> tuple[str, str, str]:
    """(date, headline, body) of a text that may start with ` date YYYY-MM-DD <headline>`;
    ("", "", text) when it does not. A page saved on one line has no body after the date
    line: a "headline" longer than any headline is then the article text, without a title.
    A crawl sometimes saved a notice as the headline ("This post will be updated as new
    information is available."): that is no title."""
    match = _DATE_LINE.match(text)
    if not match:
        return "", "", text
    headline, body = (match.group(2) or "").strip(), text[match.end() :]
    if len(headline) > MAX_HEADLINE_CHARS and not body.strip():
        return match.group(1), "", headline
    if is_furniture(headline):
        return match.group(1), "", body
    return match.group(1), headline, body


_ISO_DATE = re.compile(
    r"\d{4}(?:-\d{2}(?:-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
    r"(?:Z|[+-]\d{2}:?\d{2})?)?)?)?"
)


def valid_date(value: str) -> bool:
    """Whether a publication date is a real day (or month, or year) in ISO 8601 form:
    "2026-13-45", "2026-02-30" and "yesterday" are not, and would date a story wrongly."""
    if not _ISO_DATE.fullmatch(value):
        return False
    try:
        if len(value) == 7:
            return 1 <= int(value[5:7]) <= 12
        if len(value) > 4:
            dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


# Written-out days a JSONL producer may give ("30 November 2026", "Nov. 30, 2026",
# "2026/11/30"); a day-month order that is ambiguous ("11/12/2026") is not guessed.
_DAY_FORMATS = ("%Y/%m/%d", "%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y", "%B %d %Y")


def iso_date(value: str) -> str:
    """A record's date in ISO 8601: as given when it is ISO already, else read from an RFC
    2822 stamp ("Mon, 30 Nov 2026 10:00:00 +0000") or a written-out day; "" when it names
    no real day ("2026-02-30", "yesterday")."""
    value = value.strip()
    if valid_date(value):
        return value
    try:
        return parsedate_to_datetime(value).isoformat()
    except (TypeError, ValueError, IndexError):
        pass
    plain = value.replace(".", "")
    for fmt in _DAY_FORMATS:
        try:
            return dt.datetime.strptime(plain, fmt).date().isoformat()
        except ValueError:
            continue
    return ""


def _date_error(where: str, value: str) -> InputError:
    return InputError(where, f"invalid date {value[:40]!r} (expected YYYY-MM-DD or ISO 8601)")


def _plain_item(text: str, where: str, stem: str) -> Item:
    """Plain text with an optional ` date YYYY-MM-DD <headline>` first line."""
    published, title, text = split_date_line(text)
    if not text.strip():
        return InputError(where, "empty file" if not title else "no article text after headline")
    if published and not valid_date(published):
        return _date_error(where, published)
    return Article(id="", text=text, title=title, published=published, origin=where, source=stem)


def extract_html(html: str, url: str = "") -> Article:
    """Main text and metadata of one HTML page; raises InputError when it has no article text.

    Paragraphs of the main text are separated by blank lines. The page is given as a
    string so neither trafilatura nor htmldate ever download anything. A page of many
    elements skips trafilatura's fall-back extractors (justext's neighbour search is
    quadratic: 8,000 small blocks took 52 s); every page of the AEB benchmark is below.
    """
    import trafilatura

    where = url or "<html>"
    if len(html) > MAX_HTML_BYTES:
        raise InputError(where, f"HTML page larger than {MAX_HTML_BYTES} characters")
    tree = _parse_html(html)
    n_elements = sum(1 for _ in tree.iter()) if tree is not None else 0
    if n_elements > MAX_HTML_ELEMENTS:  # extraction time grows with the elements
        raise InputError(where, f"HTML page of over {MAX_HTML_ELEMENTS} elements")
    fast = n_elements > _MAX_FALLBACK_ELEMENTS
    try:
        doc = trafilatura.bare_extraction(
            html,
            url=url or None,
            with_metadata=True,
            include_comments=False,
            favor_precision=True,
            fast=fast,
        )
        # precision mode sometimes drops most of the article: fall back to the balanced mode
        balanced = trafilatura.bare_extraction(
            html, url=url or None, include_comments=False, fast=fast
        )
    except Exception as exc:  # a third-party parser on untrusted input: report, never crash
        raise InputError(where, f"cannot parse HTML ({type(exc).__name__})") from exc
    text = _paragraphs(getattr(doc, "text", None))
    fallback = _paragraphs(getattr(balanced, "text", None))
    if len(text) < _FALLBACK_RATIO * len(fallback):
        text = fallback
    if len(_WORD.findall(text)) < _MIN_WORDS:
        raise InputError(where, "no article text found in HTML")
    if doc is None:  # the text came from the fall-back: read the metadata on its own
        doc = trafilatura.extract_metadata(html, default_url=url or None)
    page_url = url or _field(doc, "url")
    title = _field(doc, "title")
    art = Article(
        id="",
        text=_drop_heading(text, title),
        url=page_url,
        title=title,
        published=iso_date(_field(doc, "date")),  # "" when it names no real day
        author=_field(doc, "author"),
        source=_field(doc, "sitename") or domain(page_url),
    )
    art.language = _field(doc, "language") or art.language
    if tree is not None:
        art.captions = [c for c in map(_element_text, tree.iter("figcaption")) if c]
    if _field(doc, "description"):
        art.meta["description"] = _field(doc, "description")
    return art


def _field(doc: Any, name: str) -> str:
    """A metadata field of a trafilatura Document (which may be None) as a clean string."""
    value = getattr(doc, name, None) if doc is not None else None
    return " ".join(str(value).split()) if value else ""


def _drop_heading(text: str, title: str) -> str:
    """The body without a first paragraph that only repeats the title."""
    first, _, rest = text.partition("\n\n")
    if title and rest and first.strip().lower() == title.lower():
        return rest
    return text


def _paragraphs(text: str | None) -> str:
    """trafilatura's one-line-per-block text as blank-line-separated paragraphs."""
    if not text:
        return ""
    lines = (line.strip() for line in text.splitlines())
    return "\n\n".join(line for line in lines if line)


def domain(url: str) -> str:
    """Outlet name from a URL: its host without `www.` ("" if none)."""
    if not url:
        return ""
    host = urlparse(url if "//" in url else f"//{url}").hostname or ""
    return host.removeprefix("www.")


def _html_item(html: str, where: str, url: str, stem: str) -> Item:
    try:
        art = extract_html(html, url)
    except InputError as exc:
        return InputError(where, exc.problem)
    art.origin = where
    art.source = art.source or stem
    return art


def _read_jsonl(lines: Sequence[str | bytes], where: str) -> Iterator[Item]:
    """One record per line. JSON lines files are split into lines as bytes and each line is
    decoded on its own, so one line of binary junk costs that line only. Lines end at "\n"
    only: JSON strings may hold U+2028, U+0085 and the like raw, which `str.splitlines`
    would take for line ends."""
    seen = False
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        seen = True
        if isinstance(line, bytes):
            try:
                line = line.decode("utf-8")
            except UnicodeDecodeError:
                yield InputError(f"{where}:{number}", "undecodable bytes (JSON must be UTF-8)")
                continue
        yield _jsonl_item(line, f"{where}:{number}")
    if not seen:
        yield InputError(where, "empty file")


def _read_json(text: str, where: str) -> Iterator[Item]:
    """A .json file: one object, an array of objects, or (if neither parses) JSON lines."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        yield from _read_jsonl(text.split("\n"), where)
        return
    if isinstance(data, list):
        for number, record in enumerate(data, start=1):
            yield _record_item(record, f"{where}#{number}")
        if not data:
            yield InputError(where, "empty JSON array")
    else:
        yield _record_item(data, where)


def _jsonl_item(line: str, where: str) -> Item:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        return InputError(where, f"invalid JSON ({exc.msg}, column {exc.colno})")
    except RecursionError:
        return InputError(where, f"JSON nested more than {MAX_JSON_DEPTH} levels")
    return _record_item(record, where)


def _record_item(record: Any, where: str) -> Item:
    """One JSON object (fields as in JSONL input) as an Article.

    A `text` that starts with the ` date YYYY-MM-DD <headline>` line gives the date and
    title, as in a plain-text file; `date`/`title` fields win over it."""
    if not isinstance(record, dict):
        return InputError(where, "expected a JSON object")
    try:
        record = _sane_json(record, MAX_JSON_DEPTH)
    except RecursionError:
        return InputError(where, f"JSON nested more than {MAX_JSON_DEPTH} levels")
    text, html = record.get("text"), record.get("html")
    url = str(record.get("url") or "")
    if isinstance(text, str) and text.strip():
        published, title, body = split_date_line(text)
        if not body.strip():
            return InputError(where, "no article text after the date line")
        art = Article(id="", text=body, url=url, title=title, published=published, origin=where)
    elif isinstance(html, str) and html.strip():
        try:
            art = extract_html(html, url)
        except InputError as exc:
            return InputError(where, exc.problem)
        art.origin = where
    elif "text" in record or "html" in record:
        return InputError(where, 'empty "text"/"html" field')
    else:
        return InputError(where, 'no "text" or "html" field')
    art.id = str(record.get("id") or "")
    art.title = str(record.get("title") or art.title)
    given = str(record.get("date") or record.get("published") or art.published).strip()
    art.published = iso_date(given) if given else ""
    if given and not art.published:
        return _date_error(where, given)
    art.author = str(record.get("author") or art.author)
    art.source = str(record.get("source") or art.source or domain(url) or _where_stem(where))
    art.meta.update({k: v for k, v in record.items() if k not in _KNOWN_JSONL})
    return art


def _sane_json(value: Any, depth: int) -> Any:
    """`value` with lone surrogates (valid JSON escapes, invalid text) replaced by U+FFFD;
    RecursionError when it nests deeper than `depth` (articles are flat objects)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
        return value
    if not isinstance(value, dict | list):
        return value
    if depth <= 0:
        raise RecursionError
    if isinstance(value, list):
        return [_sane_json(v, depth - 1) for v in value]
    return {_sane_json(k, depth): _sane_json(v, depth - 1) for k, v in value.items()}


def _where_stem(where: str) -> str:
    return _stem(Path(re.sub(r"(?::\d+|#\d+)$", "", where)))


# --- RSS / Atom -------------------------------------------------------------------------


def _read_feed(text: str, where: str) -> Iterator[Item]:
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    try:
        root = ElementTree.fromstring(text.encode("utf-8"))
    except (ElementTree.ParseError, DefusedXmlException, ValueError) as exc:
        yield InputError(where, f"malformed XML ({exc})")
        return
    _strip_namespaces(root)
    channel = root.find("channel")
    feed_title = _child_text(channel if channel is not None else root, "title")
    items = root.iter("item") if root.tag in ("rss", "RDF") else root.iter("entry")
    count = 0
    for index, node in enumerate(items, start=1):
        count += 1
        yield _feed_item(node, f"{where}#{index}", feed_title)
    if not count:
        yield InputError(where, "feed has no items")


def _strip_namespaces(root: Any) -> None:
    """Name elements by local name; `content:encoded` keeps a distinct name."""
    for el in root.iter():
        if isinstance(el.tag, str) and "}" in el.tag:
            ns, local = el.tag[1:].split("}", 1)
            el.tag = "content_encoded" if ns.endswith("/content/") else local


def _child_text(node: Any, *names: str) -> str:
    for name in names:
        child = node.find(name)
        if child is not None and (child.text or "").strip():
            return str(child.text).strip()
    return ""


def _feed_item(node: Any, where: str, feed_title: str) -> Item:
    body = _child_text(node, "content_encoded", "content", "description", "summary")
    text = html_to_text(body)
    if not text:
        return InputError(where, "feed item has no text")
    link = _child_text(node, "link")
    if not link:
        for el in node.findall("link"):
            if el.get("rel", "alternate") == "alternate" and el.get("href"):
                link = el.get("href")
                break
    author_el = node.find("author")
    author = _child_text(node, "creator")
    if not author and author_el is not None:
        author = _child_text(author_el, "name") or (author_el.text or "").strip()
    art = Article(
        id="",
        text=text,
        url=link,
        title=html_to_text(_child_text(node, "title")),
        published=_feed_date(_child_text(node, "pubDate", "published", "updated", "date")),
        author=author,
        origin=where,
        source=feed_title or domain(link) or _stem(Path(where.split("#")[0])),
    )
    guid = _child_text(node, "guid", "id")
    if guid:
        art.meta["guid"] = guid
    return art


def _feed_date(value: str) -> str:
    """RFC 822 dates (RSS) to ISO; ISO dates (Atom) kept; a date that does not read is
    dropped (the item is still news, only undated)."""
    return iso_date(value)


def html_to_text(fragment: str) -> str:
    """An HTML fragment (feed content) as plain text with blank-line-separated paragraphs.

    Parsed with lxml (linear in the input, whatever the markup), never with regexes."""
    if "<" not in fragment and "&" not in fragment:
        return fragment.strip()
    root = _parse_html(fragment)
    return _element_text(root) if root is not None else ""


def _parse_html(markup: str) -> Any:
    """The lxml tree of `markup`, or None when nothing can be parsed from it."""
    try:
        return lxml.html.document_fromstring(
            markup.encode("utf-8", "surrogatepass"), parser=_PARSER
        )
    except (etree.ParserError, ValueError):
        return None


def _element_text(root: Any) -> str:
    """Text of an element: scripts and styles dropped, block elements as paragraphs."""
    parts: list[str] = []
    for event, el in etree.iterwalk(root, events=("start", "end")):
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if event == "start":
            if tag in _BLOCK_TAGS:
                parts.append("\n\n")
            if tag not in ("script", "style"):
                parts.append(el.text or "")
        else:
            if tag in _BLOCK_TAGS:
                parts.append("\n\n")
            if el is not root:
                parts.append(el.tail or "")
    paras = (" ".join(p.split()) for p in re.split(r"\n\s*\n", "".join(parts)))
    return "\n\n".join(p for p in paras if p)


# --- WARC -------------------------------------------------------------------------------


def _read_warc(stream: _CappedReader, where: str) -> Iterator[Item]:
    """HTML response records of a WARC stream (decompressed, capped), each capped too."""
    from warcio.archiveiterator import ArchiveIterator

    class Quiet(ArchiveIterator):
        """warcio writes a damaged record's warning to stderr itself; the reader reports
        the file in its own one line instead."""

        def _consume_blanklines(self) -> Any:
            with contextlib.redirect_stderr(io.StringIO()):
                return super()._consume_blanklines()

    count = 0
    try:
        for record in Quiet(stream):
            if record.rec_type != "response" or record.http_headers is None:
                continue
            ctype = record.http_headers.get_header("Content-Type") or ""
            if "html" not in ctype.lower():
                continue
            url = record.rec_headers.get_header("WARC-Target-URI") or ""
            count += 1
            # the payload may itself be gzip-encoded: never decode more than one page
            payload = record.content_stream().read(MAX_HTML_BYTES + 1)
            record_where = f"{where}#{url or count}"
            if len(payload) > MAX_HTML_BYTES:
                yield InputError(record_where, f"HTML record larger than {MAX_HTML_BYTES} bytes")
                continue
            yield _warc_item(payload, ctype, url, record_where)
    except _TooLarge as exc:
        yield InputError(where, f"{exc}: the records after this point are not read")
        return
    except Exception as exc:  # warcio raises many kinds on damaged archives
        yield InputError(where, f"malformed WARC ({exc})")
        return
    if not count:
        yield InputError(where, "no HTML response records in WARC")


def _warc_item(payload: bytes, ctype: str, url: str, where: str) -> Item:
    charset = re.search(r"charset=([\w-]+)", ctype)
    html = decode_bytes(payload, charset.group(1) if charset else "")
    if html is None:
        return InputError(where, "undecodable HTML payload")
    return _html_item(html, where, url, domain(url))
