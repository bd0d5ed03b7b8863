"""The web app and HTTP API: browse stories, read briefings and articles, search, ingest.

Pages are rendered on the server with Jinja2 (autoescape on) and carry no scripts;
a strict Content-Security-Policy forbids them anyway, because article text is
untrusted. The JSON API under /api/ returns the same briefing structure as
`newsloom brief --format json`. The server reads server-side folders only inside
the `--allow-dir` folders it was started with, and binds to localhost by default;
bound to another address it requires a token (a bearer header for the API, a login
form setting an HttpOnly, SameSite=Strict cookie for the pages). `read_only` turns
ingest off. Stored origins name uploads by their file name, never a server path.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import itertools
import json
import re
import sys
import tempfile
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

import jinja2
from fastapi import FastAPI, File, Form, Query, Request, UploadFile
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field, ValidationError, model_validator
from starlette.concurrency import run_in_threadpool
from starlette.convertors import PathConvertor, register_url_convertor
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import Scope

from newsloom import __version__, export, feeds
from newsloom.brief import build_briefing, outlet_name
from newsloom.errors import ConfigError, NewsloomError, NotFound
from newsloom.models import Article
from newsloom.render import (
    Citations,
    not_in_summary,
    quoted,
    safe_url,
    sources_text,
    story_map,
    summary_facts,
    unknown_outlets,
    verdict,
)
from newsloom.store import Store
from newsloom.storylines import storyline_detail, storyline_rows, with_storyline

if TYPE_CHECKING:
    from newsloom.pipeline import Resources, RunReport

MAX_UPLOAD_BYTES = 20_000_000
MAX_API_ARTICLES = 1000
MAX_OFFSET = 1_000_000_000  # beyond any archive; larger values cannot even reach SQLite
MIN_TOKEN_CHARS = 16
TOKEN_ENV = "NEWSLOOM_TOKEN"
SESSION_COOKIE = "newsloom_session"
READ_ONLY = "this server is read-only (started with --read-only): ingest is disabled"
PAGE_SIZE = 30
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HERE = Path(__file__).resolve().parent
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_DAY = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TEMP_ORIGIN = re.compile(r"^.*?/newsloom-(?:upload|api|feed)-[^/]+/(?:\d{3}/)?")
_PUBLIC_PATHS = ("/login", "/static/", "/briefing.css")


class IdConvertor(PathConvertor):
    """`{name:id}`: any id, decoded, as `path` but also across line breaks (a JSONL id may
    hold "\\n"); links encode ids with `feeds.url_id`."""

    regex = "(?s:.*)"


register_url_convertor("id", IdConvertor())


class IngestArticle(BaseModel):
    """One article posted to the API: `text` or `html` is required."""

    text: str | None = None
    html: str | None = None
    url: str = ""
    title: str = ""
    date: str = ""
    source: str = ""
    id: str = ""

    @model_validator(mode="after")
    def _check(self) -> IngestArticle:
        if not (self.text and self.text.strip()) and not (self.html and self.html.strip()):
            raise ValueError('each article needs a non-empty "text" or "html"')
        if self.url and not safe_url(self.url):
            raise ValueError('"url" must be an http(s) URL')
        return self


class IngestRequest(BaseModel):
    articles: list[IngestArticle] = Field(min_length=1, max_length=MAX_API_ARTICLES)


class App:
    """State shared by the routes: the store, the models and locks. Reads share one
    SQLite connection (serialised); ingest runs one at a time on their own connection,
    so pages stay readable while a batch is processed (WAL mode)."""

    def __init__(
        self,
        db: str,
        allow_dirs: list[str],
        resources: Resources | None,
        token: str = "",
        read_only: bool = False,
    ) -> None:
        self.path = db
        self.store = Store(db)
        self.allow_dirs = [Path(d).resolve() for d in allow_dirs]
        self._resources = resources
        self.token = token
        self.read_only = read_only
        self.lock = threading.RLock()
        self.run_lock = threading.Lock()

    @property
    def resources(self) -> Resources:
        if self._resources is None:
            from newsloom.pipeline import Resources

            self._resources = Resources()
        return self._resources

    @contextmanager
    def db(self) -> Iterator[Store]:
        with self.lock:
            yield self.store

    def run(self, paths: list[str], labels: dict[str, str]) -> RunReport:
        """Ingest `paths`, stored and reported under their `labels` (never server paths)."""
        from newsloom import pipeline  # imported late: pages work without the models

        with self.run_lock:
            store = Store(self.path)
            try:
                return pipeline.run(paths, store, self.resources, on_error=False, labels=labels)
            finally:
                store.close()

    @property
    def session(self) -> str:
        """The login cookie's value: derived from the token, so the token never travels twice."""
        return hmac.new(self.token.encode(), b"newsloom-session", hashlib.sha256).hexdigest()

    def authorized(self, request: Request) -> bool:
        """Whether the request carries the token (bearer header) or the login cookie."""
        if not self.token:
            return True
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), self.token):
            return True
        cookie = request.cookies.get(SESSION_COOKIE, "")
        return hmac.compare_digest(cookie, self.session)


# -- queries ---------------------------------------------------------------


def story_list(
    store: Store,
    *,
    limit: int,
    offset: int,
    order: str = "recent",
    date_from: str = "",
    date_to: str = "",
    place: str = "",
    source: str = "",
    entity: str = "",
) -> tuple[list[dict[str, Any]], int]:
    """Story summaries matching the filters, and how many match in all."""
    where, args = ["1 = 1"], []
    in_story = "SELECT 1 FROM story_articles sa {join} WHERE sa.story_id = s.id AND {cond}"
    if date_from:
        where.append("substr(s.last_published, 1, 10) >= ?")
        args.append(date_from)
    if date_to:
        where.append("substr(s.first_published, 1, 10) <= ?")
        args.append(date_to)
    if place:
        join = "JOIN places p ON p.article_id = sa.article_id"
        where.append("EXISTS (" + in_story.format(join=join, cond="lower(p.name) = lower(?)") + ")")
        args.append(place)
    if source:
        join = "JOIN articles a ON a.id = sa.article_id"
        where.append(
            "EXISTS (" + in_story.format(join=join, cond="lower(a.source) = lower(?)") + ")"
        )
        args.append(source)
    if entity:
        join = "JOIN mentions m ON m.article_id = sa.article_id"
        cond = "(lower(m.norm) = lower(?) OR lower(m.text) = lower(?))"
        where.append("EXISTS (" + in_story.format(join=join, cond=cond) + ")")
        args += [entity, entity]
    order_by = {
        "recent": "s.last_published DESC, s.n_articles DESC",
        "size": "s.n_articles DESC, s.last_published DESC",
    }[order]
    cond = " AND ".join(where)
    total = store.conn.execute(f"SELECT count(*) FROM stories s WHERE {cond}", args).fetchone()[0]
    rows = store.conn.execute(
        "SELECT s.id, s.title, s.first_published, s.last_published, s.n_articles,"
        f" s.n_independent FROM stories s WHERE {cond} ORDER BY {order_by}, s.id LIMIT ? OFFSET ?",
        [*args, limit, offset],
    ).fetchall()
    return [_story_extras(store, dict(r)) for r in rows], int(total)


def _story_extras(store: Store, row: dict[str, Any]) -> dict[str, Any]:
    """Add the outlets (`outlets`: as a reader sees them, `brief.outlet_name`) and the most
    mentioned places to a listing row."""
    sources = store.conn.execute(
        "SELECT a.source, min(a.origin) FROM story_articles sa JOIN articles a"
        " ON a.id = sa.article_id WHERE sa.story_id = ? GROUP BY a.source ORDER BY a.source",
        (row["id"],),
    ).fetchall()
    places = store.conn.execute(
        "SELECT p.name, count(*) AS n FROM story_articles sa JOIN places p"
        " ON p.article_id = sa.article_id WHERE sa.story_id = ? GROUP BY p.name"
        " ORDER BY n DESC, p.name LIMIT 5",
        (row["id"],),
    ).fetchall()
    row["sources"] = [r[0] for r in sources]
    row["outlets"] = [outlet_name(r[0], r[1] or "") for r in sources]
    row["n_sources"] = len(sources)
    row["places"] = [r[0] for r in places]
    return row


def briefing(store: Store, story_id: str) -> dict[str, Any]:
    story = store.get_story(story_id)
    articles = store.get_articles(story.article_ids)
    out = build_briefing(story, articles, store.get_facts(story_id))
    for a in out.get("articles", []):
        a["origin"] = public_origin(a.get("origin", ""))
    return with_storyline(store, out)


def public_origin(origin: str) -> str:
    """An origin fit to show: archives from before uploads were stored by file name hold
    the server's temp paths (`/tmp/newsloom-upload-…/000/name.txt`); show the name."""
    return _TEMP_ORIGIN.sub("", origin)


def search_query(q: str) -> str:
    """The query, stripped; control characters (a NUL breaks SQLite's full-text search)
    are refused (HTTP 400)."""
    if _CONTROL.search(q):
        raise NewsloomError("q: control characters are not allowed in a search")
    return q.strip()


def search(store: Store, query: str, limit: int = 50) -> dict[str, Any]:
    """Search hits grouped by story (hits outside any story come last)."""
    hits = store.search(query, limit=limit)
    groups: dict[str, dict[str, Any]] = {}
    for hit in hits:
        sid = hit.get("story_id") or ""
        if sid not in groups:
            title = ""
            if sid:
                row = store.conn.execute(
                    "SELECT title FROM stories WHERE id = ?", (sid,)
                ).fetchone()
                title = row[0] if row else ""
            groups[sid] = {"story_id": sid or None, "title": title, "hits": []}
        groups[sid]["hits"].append(hit)
    ordered = sorted(groups.values(), key=lambda g: g["story_id"] is None)
    return {"query": query, "count": len(hits), "stories": ordered}


def article_json(store: Store, article_id: str) -> dict[str, Any]:
    art = store.get_article(article_id)
    art.origin = public_origin(art.origin)
    return {**art.to_dict(), "story_id": store.story_of(article_id)}


# -- article text with anchors and highlights --------------------------------


def article_paragraphs(art: Article) -> list[list[dict[str, Any]]]:
    """Paragraphs of sentence blocks of segments, each segment with the highlight
    classes covering it, so the template can escape every piece of text."""
    spans: list[tuple[int, int, str, str]] = []
    spans += [(m.start, m.end, "ent ent-" + m.label.lower(), m.label) for m in art.mentions]
    spans += [(p.start, p.end, "place", f"{p.name} ({p.country})") for p in art.places]
    spans += [(t.start, t.end, "time", t.value) for t in art.times]
    spans += [(q.start, q.end, "quote", f"quote: {q.speaker}") for q in art.quotes]
    spans = [s for s in spans if 0 <= s[0] < s[1] <= len(art.text)]
    if not art.sentences:  # not extracted: plain paragraphs, no anchors
        return [
            [{"index": None, "segments": _segments(art.text, m.start(), m.end(), spans)}]
            for m in re.finditer(r"[^\n]+(?:\n(?!\s*\n)[^\n]*)*", art.text)
            if m.group().strip()
        ]
    paragraphs: dict[int, list[dict[str, Any]]] = {}
    for sent in art.sentences:
        block = {"index": sent.index, "segments": _segments(art.text, sent.start, sent.end, spans)}
        paragraphs.setdefault(sent.paragraph, []).append(block)
    return [paragraphs[k] for k in sorted(paragraphs)]


def _segments(
    text: str, lo: int, hi: int, spans: list[tuple[int, int, str, str]]
) -> list[dict[str, str]]:
    """Cut text[lo:hi] at every span boundary; label each piece with its covering spans."""
    inside = [s for s in spans if s[0] < hi and s[1] > lo]
    cuts = sorted({lo, hi} | {c for s in inside for c in s[:2] if lo < c < hi})
    out = []
    for a, b in itertools.pairwise(cuts):
        cover = [s for s in inside if s[0] <= a and b <= s[1]]
        out.append(
            {
                "text": text[a:b],
                "cls": " ".join(sorted({c for s in cover for c in s[2].split()})),
                "title": "; ".join(dict.fromkeys(s[3] for s in cover if s[3])),
            }
        )
    return out


# -- the app ------------------------------------------------------------------


def create_app(
    db: str,
    allow_dirs: list[str] | None = None,
    resources: Resources | None = None,
    *,
    token: str = "",
    read_only: bool = False,
) -> FastAPI:
    """Build the app over the store at `db`; `allow_dirs` are the server folders the
    ingest form may read. With a `token`, every route but the login page requires it;
    `read_only` refuses ingest (HTTP 403)."""
    if token and len(token) < MIN_TOKEN_CHARS:
        raise ConfigError(f"the token must have at least {MIN_TOKEN_CHARS} characters")
    state = App(db, list(allow_dirs or []), resources, token=token, read_only=read_only)
    app = FastAPI(
        title="newsloom",
        version=__version__,
        description="Story briefings built from many news reports, with citations.",
        docs_url=None,  # the interactive docs load scripts from a CDN
        redoc_url=None,
    )
    app.state.newsloom = state
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        safe_url=safe_url,
        quoted=quoted,
        verdict=verdict,
        sources_text=sources_text,
        urlid=feeds.url_id,  # every id in a link: ids may hold "/", "?", "#", "%", spaces
    )
    env.globals.update(
        read_only=read_only, auth=bool(token), unknown_outlets=unknown_outlets, outlet=outlet_name
    )
    env.globals.update(summary_facts=summary_facts, not_in_summary=not_in_summary, zip=zip)
    briefing_css = (HERE.parent / "templates" / "briefing.css").read_text(encoding="utf-8")

    @app.get("/briefing.css", include_in_schema=False)
    def shared_css() -> Response:
        """The briefing components the HTML report inlines, shared rather than copied."""
        return Response(briefing_css, media_type="text/css")

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    def page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = env.get_template(name).render(version=__version__, **context)
        return HTMLResponse(html, status_code=status)

    _install_middleware(app, state)
    _install_errors(app, page)
    _install_login(app, state, page)
    _install_pages(app, state, page)
    _install_exports(app, state)  # before /api/stories/{id}, which would take ".../export"
    _install_api(app, state)
    _install_feeds(app, state)
    _install_openapi(app)
    return app


def _install_middleware(app: FastAPI, state: App) -> None:
    @app.middleware("http")
    async def guard(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        length = request.headers.get("content-length", "")
        path = request.url.path
        if length.isdigit() and int(length) > MAX_UPLOAD_BYTES:
            response: Response = JSONResponse(
                {"detail": f"request larger than {MAX_UPLOAD_BYTES} bytes"}, status_code=413
            )
        elif request.method == "POST" and not _same_origin(request):
            response = JSONResponse({"detail": "cross-origin request refused"}, status_code=403)
        elif not path.startswith(_PUBLIC_PATHS) and not state.authorized(request):
            response = _login_required(request)
        else:
            response = await call_next(request)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        return response

    app.add_middleware(HeadAsGet)  # added last: the outermost, so `guard` sees a GET


class HeadAsGet:
    """HEAD is answered as GET without the body (uptime and link checkers send HEAD; the
    routes declare GET only). The headers, Content-Length included, are the GET's."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)


def _login_required(request: Request) -> Response:
    """401 with a bearer challenge for the API; the login form for pages."""
    path = request.url.path
    if path.startswith(("/api/", "/feeds/")) or path == "/openapi.json":  # clients, not people
        return JSONResponse(
            {"detail": "authentication required: send the header Authorization: Bearer <token>"},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    raw = request.scope.get("raw_path") or path.encode()  # as sent: ids keep their %2F
    target = raw.decode("latin-1") + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)


def _local_target(target: str) -> str:
    """Where to go after logging in: a path on this server only (no open redirect)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _same_origin(request: Request) -> bool:
    """Browsers send Origin on cross-site form posts: refuse those (CSRF)."""
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host", "")


def _install_errors(app: FastAPI, page: Callable[..., HTMLResponse]) -> None:
    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": str(exc)}, status_code=404)
        return page("error.html", status=404, title="Not found", message=str(exc))

    @app.exception_handler(NewsloomError)
    async def failed(request: Request, exc: NewsloomError) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": str(exc)}, status_code=400)
        return page("error.html", status=400, title="Error", message=str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        """A bad query value: JSON for the API, an error page (not raw JSON) for pages."""
        problems = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": problems}, status_code=422)
        message = "; ".join(
            f"{p['loc'][-1] if p['loc'] else 'request'}: {p['msg']}" for p in problems
        )
        return page("error.html", status=422, title="Bad request", message=message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        """A route that does not exist (or a method it does not take): an error page for
        pages, JSON for the API."""
        if request.url.path.startswith("/api/") or exc.status_code != 404:
            return await http_exception_handler(request, exc)
        return page("error.html", status=404, title="Not found", message="No such page.")


def _install_login(app: FastAPI, state: App, page: Callable[..., HTMLResponse]) -> None:
    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_form(next: str = Query("/", max_length=2000)) -> HTMLResponse:
        return page("login.html", next=_local_target(next), error="")

    @app.post("/login", response_class=HTMLResponse, include_in_schema=False)
    def login(
        request: Request, token: str = Form("", max_length=1000), next: str = Form("/")
    ) -> Response:
        target = _local_target(next)
        if not state.token:
            return RedirectResponse(target, status_code=303)
        if not hmac.compare_digest(token.encode(), state.token.encode()):
            return page("login.html", status=401, next=target, error="wrong token")
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            state.session,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            max_age=7 * 24 * 3600,
        )
        return response

    @app.post("/logout", include_in_schema=False)
    def logout() -> Response:
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="strict")
        return response


def _install_openapi(app: FastAPI) -> None:
    """Put the ingest body's models among the document's components, so that every
    `$ref` in /openapi.json resolves (pydantic writes them under a local `$defs`)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            schema = IngestRequest.model_json_schema(ref_template="#/components/schemas/{model}")
            doc.setdefault("components", {}).setdefault("schemas", {}).update(
                schema.pop("$defs", {})
            )
            doc["components"]["schemas"]["IngestRequest"] = schema
            body = doc["paths"]["/api/ingest"]["post"]["requestBody"]["content"]
            body["application/json"]["schema"] = {"$ref": "#/components/schemas/IngestRequest"}
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _filters(date_from: str, date_to: str, place: str, source: str, entity: str) -> dict[str, str]:
    for name, value in (("from", date_from), ("to", date_to)):
        if value and not _DAY.match(value):
            raise NewsloomError(f"{name}: expected a date YYYY-MM-DD, got {value!r}")
    return {
        "date_from": date_from,
        "date_to": date_to,
        "place": place.strip(),
        "source": source.strip(),
        "entity": entity.strip(),
    }


def _install_pages(app: FastAPI, state: App, page: Callable[..., HTMLResponse]) -> None:
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def stories_page(
        order: str = Query("recent", pattern="^(recent|size)$"),
        offset: int = Query(0, ge=0, le=MAX_OFFSET),
        date_from: str = Query("", alias="from", max_length=10),
        date_to: str = Query("", alias="to", max_length=10),
        place: str = Query("", max_length=200),
        source: str = Query("", max_length=200),
        entity: str = Query("", max_length=200),
    ) -> HTMLResponse:
        filters = _filters(date_from, date_to, place, source, entity)
        with state.db() as store:
            rows, total = story_list(store, limit=PAGE_SIZE, offset=offset, order=order, **filters)
            n_articles = store.count_articles()
        return page(
            "stories.html",
            rows=rows,
            total=total,
            n_articles=n_articles,
            order=order,
            offset=offset,
            page_size=PAGE_SIZE,
            f=filters,
        )

    @app.get("/search", response_class=HTMLResponse, include_in_schema=False)
    def search_page(q: str = Query("", max_length=500)) -> HTMLResponse:
        query = search_query(q)
        with state.db() as store:
            result = search(store, query) if query else None
        return page("search.html", q=query, result=result)

    @app.get("/stories/{story_id:id}", response_class=HTMLResponse, include_in_schema=False)
    def story_page(story_id: str) -> HTMLResponse:
        with state.db() as store:
            s = briefing(store, story_id)
        return page("story.html", s=s, cite=Citations(s), map=story_map(s["places"]), tree=_tree(s))

    @app.get("/storylines/{storyline_id:id}", response_class=HTMLResponse, include_in_schema=False)
    def storyline_page(storyline_id: str) -> HTMLResponse:
        with state.db() as store:
            line = storyline_detail(store, storyline_id)
        return page("storyline.html", line=line)

    @app.get("/articles/{article_id:id}", response_class=HTMLResponse, include_in_schema=False)
    def article_page(article_id: str) -> HTMLResponse:
        with state.db() as store:
            art = store.get_article(article_id)
            story_id = store.story_of(article_id)
            story_title = store.get_story(story_id).title if story_id else ""
        return page(
            "article.html",
            a=art,
            paragraphs=article_paragraphs(art),
            story_id=story_id,
            story_title=story_title,
        )

    def read_only_page() -> HTMLResponse:
        return page("error.html", status=403, title="Read-only", message=READ_ONLY)

    @app.get("/ingest", response_class=HTMLResponse, include_in_schema=False)
    def ingest_form() -> HTMLResponse:
        if state.read_only:
            return read_only_page()
        return page("ingest.html", allow_dirs=state.allow_dirs, report=None)

    @app.post("/ingest", response_class=HTMLResponse, include_in_schema=False)
    async def ingest_post(
        files: list[UploadFile] = File(default=[]),
        folder: str = Form(""),
    ) -> HTMLResponse:
        if state.read_only:
            return read_only_page()
        with tempfile.TemporaryDirectory(prefix="newsloom-upload-") as tmp:
            try:
                labels = await _save_uploads(files, Path(tmp))
                if folder.strip():
                    labels |= allowed_files(folder.strip(), state.allow_dirs)
                paths = list(labels)
            except NewsloomError as exc:
                return page(
                    "ingest.html",
                    status=400,
                    allow_dirs=state.allow_dirs,
                    report=None,
                    error=str(exc),
                )
            if not paths:
                return page(
                    "ingest.html",
                    status=400,
                    allow_dirs=state.allow_dirs,
                    report=None,
                    error="choose at least one file (or a folder)",
                )
            report = await run_in_threadpool(state.run, paths, labels)
            result = _report_json(report)
        with state.db() as store:
            touched = [
                {"id": sid, "title": store.get_story(sid).title} for sid in result["story_ids"]
            ]
        return page("ingest.html", allow_dirs=state.allow_dirs, report=result, touched=touched)


async def _save_uploads(files: list[UploadFile], folder: Path) -> dict[str, str]:
    """Write uploads under safe names inside `folder`, enforcing the total size limit.

    Returns each saved path with the upload's own file name, the name to store and show."""
    total, paths = 0, {}
    for n, upload in enumerate(files):
        if not upload.filename:
            continue
        name = _SAFE_NAME.sub("_", Path(upload.filename).name).lstrip(".") or "upload.txt"
        # One folder per upload: names may repeat, and the file stem stays the
        # fallback source name that ingest uses.
        (folder / f"{n:03d}").mkdir()
        path = folder / f"{n:03d}" / name
        with path.open("wb") as out:
            while chunk := await upload.read(1 << 20):
                total += len(chunk)
                if total > MAX_UPLOAD_BYTES:
                    raise NewsloomError(f"uploads larger than {MAX_UPLOAD_BYTES} bytes in all")
                out.write(chunk)
        paths[str(path)] = name
    return paths


def allowed_files(folder: str, allow_dirs: list[Path]) -> dict[str, str]:
    """The regular files under `folder`, if it lies inside an allowed folder, each with
    its name relative to the allowed folder's parent (what is stored and shown).

    Paths are resolved (following symlinks) before the containment check, and every
    file found is checked again, so a symlink cannot lead outside."""
    if not allow_dirs:
        raise NewsloomError("this server reads no server folders (start it with --allow-dir)")
    try:
        root = Path(folder).resolve(strict=True)
    except OSError as exc:
        raise NewsloomError(f"{folder}: no such file or folder") from exc
    if not any(root.is_relative_to(d) for d in allow_dirs):
        raise NewsloomError(f"{folder}: outside the allowed folders")
    candidates = [root] if root.is_file() else sorted(root.rglob("*"))
    out = {}
    for path in candidates:
        real = path.resolve()
        hidden = any(part.startswith(".") for part in path.relative_to(root).parts)
        home = next((d for d in allow_dirs if real.is_relative_to(d)), None)
        if real.is_file() and not hidden and home is not None:
            out[str(real)] = str(real.relative_to(home.parent))
    return out


def _report_json(report: RunReport) -> dict[str, Any]:
    """A run report for people and clients (inputs named by their labels)."""
    return {
        "read": report.read,
        "new": report.new,
        "already_stored": report.already_stored,
        "article_ids": report.article_ids,
        "story_ids": report.story_ids,
        "errors": [{"where": e.where, "problem": e.problem} for e in report.errors],
    }


def _tree(s: dict[str, Any]) -> list[dict[str, Any]]:
    """Copies and rewrites as a forest: each original with the articles derived from it."""
    by_id = {a["id"]: a for a in s["articles"]}
    children: dict[str, list[str]] = {}
    for a in s["articles"]:
        parent = a.get("derived_from")
        if parent and parent in by_id:
            children.setdefault(parent, []).append(a["id"])

    def node(aid: str, depth: int) -> dict[str, Any]:
        kids = children.get(aid, []) if depth < 8 else []
        return {"a": by_id[aid], "children": [node(k, depth + 1) for k in kids]}

    roots = [
        a["id"]
        for a in s["articles"]
        if not a.get("derived_from") or a["derived_from"] not in by_id
    ]
    return [node(r, 0) for r in roots]


def _install_api(app: FastAPI, state: App) -> None:
    @app.get("/api/stories", tags=["stories"])
    def api_stories(
        limit: int = Query(20, ge=1, le=200),
        offset: int = Query(0, ge=0, le=MAX_OFFSET),
        order: str = Query("recent", pattern="^(recent|size)$"),
        date_from: str = Query("", alias="from", max_length=10, description="YYYY-MM-DD"),
        date_to: str = Query("", alias="to", max_length=10, description="YYYY-MM-DD"),
        place: str = Query("", max_length=200),
        source: str = Query("", max_length=200),
        entity: str = Query("", max_length=200),
    ) -> dict[str, Any]:
        """Stories, newest (or biggest) first, with optional filters."""
        filters = _filters(date_from, date_to, place, source, entity)
        with state.db() as store:
            rows, total = story_list(store, limit=limit, offset=offset, order=order, **filters)
        return {"total": total, "limit": limit, "offset": offset, "stories": rows}

    @app.get("/api/stories/{story_id:id}", tags=["stories"])
    def api_story(story_id: str) -> dict[str, Any]:
        """The briefing of one story (as in `newsloom brief --format json`)."""
        with state.db() as store:
            return briefing(store, story_id)

    @app.get("/api/storylines", tags=["storylines"])
    def api_storylines(
        limit: int = Query(20, ge=1, le=200), offset: int = Query(0, ge=0, le=10**9)
    ) -> dict[str, Any]:
        """Storylines (events of one developing situation), most recent first."""
        with state.db() as store:
            rows, total = storyline_rows(store, limit=limit, offset=offset)
        return {"total": total, "limit": limit, "offset": offset, "storylines": rows}

    @app.get("/api/storylines/{storyline_id:id}", tags=["storylines"])
    def api_storyline(storyline_id: str) -> dict[str, Any]:
        """One storyline with its events (stories) in time order; merged ids resolve."""
        with state.db() as store:
            return storyline_detail(store, storyline_id)

    @app.get("/api/articles/{article_id:id}", tags=["articles"])
    def api_article(article_id: str) -> dict[str, Any]:
        """One article with everything extracted from it, and its story id."""
        with state.db() as store:
            return article_json(store, article_id)

    @app.get("/api/search", tags=["search"])
    def api_search(
        q: str = Query(..., min_length=1, max_length=500), limit: int = Query(50, ge=1, le=200)
    ) -> dict[str, Any]:
        """Full-text search over articles and facts, grouped by story."""
        query = search_query(q)
        if not query:
            raise NewsloomError("q: empty query")
        with state.db() as store:
            return search(store, query, limit=limit)

    @app.post(
        "/api/ingest",
        tags=["ingest"],
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": IngestRequest.model_json_schema()},
                    "text/plain": {"schema": {"type": "string"}},
                    "text/html": {"schema": {"type": "string"}},
                },
            }
        },
    )
    async def api_ingest(request: Request) -> Response:
        """Ingest articles (JSON list, or one raw text/HTML report) and update stories."""
        if state.read_only:
            return JSONResponse({"detail": READ_ONLY}, status_code=403)
        body = await _read_body(request)
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        with tempfile.TemporaryDirectory(prefix="newsloom-api-") as tmp:
            if kind == "application/json":
                try:
                    req = IngestRequest.model_validate_json(body)
                except ValidationError as exc:
                    return JSONResponse({"detail": _messages(exc)}, status_code=422)
                path = Path(tmp) / "api.jsonl"
                path.write_text(
                    "".join(
                        json.dumps(a.model_dump(exclude_none=True)) + "\n" for a in req.articles
                    ),
                    encoding="utf-8",
                )
            elif kind in ("text/plain", "text/html"):
                if not body.strip():
                    return JSONResponse({"detail": "empty body"}, status_code=422)
                path = Path(tmp) / ("api.txt" if kind == "text/plain" else "api.html")
                path.write_bytes(body)
            else:
                return JSONResponse(
                    {"detail": "send application/json, text/plain or text/html"}, status_code=415
                )
            report = await run_in_threadpool(state.run, [str(path)], {str(path): "api"})
            return JSONResponse(_report_json(report))


async def _read_body(request: Request) -> bytes:
    chunks, total = [], 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > MAX_UPLOAD_BYTES:
            raise NewsloomError(f"request larger than {MAX_UPLOAD_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _messages(exc: ValidationError) -> list[dict[str, Any]]:
    return [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]


def is_loopback(host: str) -> bool:
    """Whether `host` is reachable from this machine only (127.0.0.0/8, ::1, localhost)."""
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to any interface


def serve(
    db: str,
    host: str = "127.0.0.1",
    port: int = 8000,
    allow_dirs: list[str] | None = None,
    *,
    token: str = "",
    read_only: bool = False,
) -> None:
    """Run the app with uvicorn (localhost unless told otherwise).

    Bound to any other address, the server refuses to start without a token, and warns."""
    import uvicorn

    exposed = not is_loopback(host)
    if exposed and not token:
        raise ConfigError(
            f"--host {host} is reachable from other machines: give a token with --token"
            f" or the environment variable {TOKEN_ENV} (at least {MIN_TOKEN_CHARS}"
            " characters), or bind to 127.0.0.1"
        )
    app = create_app(db, allow_dirs or [], token=token, read_only=read_only)
    if exposed:
        print(
            f"newsloom: warning: serving on {host}:{port}, reachable from other machines;"
            " every request needs the token, and traffic is not encrypted (put a TLS proxy"
            " in front for use beyond a trusted network)",
            file=sys.stderr,
        )
    uvicorn.run(app, host=host, port=port, log_level="info")


# -- feeds and exports (#16) ---------------------------------------------------------

ATOM_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {feeds.MEDIA_TYPE: {}}, "description": "an Atom feed (RFC 4287)"},
    304: {"description": "not modified since the ETag given in If-None-Match"},
    404: {"content": {"text/html": {}}, "description": "no such story or storyline"},
}
EXPORT_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {f.media_type: {} for f in export.FORMATS.values()},
        "description": "the export, as an attachment (columns in docs/json-schema.md)",
    },
}


def _install_feeds(app: FastAPI, state: App) -> None:
    def atom(request: Request, build: Callable[[Store, str], feeds.Feed]) -> Response:
        with state.db() as store:
            body = feeds.render(build(store, str(request.base_url)))
        etag = '"' + hashlib.sha256(body).hexdigest()[:24] + '"'
        headers = {"ETag": etag, "Cache-Control": "no-cache"}
        if etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        return Response(body, media_type=f"{feeds.MEDIA_TYPE}; charset=utf-8", headers=headers)

    @app.get("/feeds/stories.atom", tags=["feeds"], responses=ATOM_RESPONSE)
    def feed_stories(request: Request) -> Response:
        """The newest stories (by their last change) as an Atom feed."""
        return atom(request, feeds.stories_feed)

    @app.get("/feeds/search.atom", tags=["feeds"], responses=ATOM_RESPONSE)
    def feed_search(
        request: Request, q: str = Query(..., min_length=1, max_length=500)
    ) -> Response:
        """The stories matching a full-text search, as an Atom feed."""
        query = search_query(q)
        if not query:
            raise NewsloomError("q: empty query")
        return atom(request, lambda store, base: feeds.search_feed(store, base, query))

    @app.get("/feeds/stories/{story_id:id}.atom", tags=["feeds"], responses=ATOM_RESPONSE)
    def feed_story(request: Request, story_id: str) -> Response:
        """One story's updates: facts newly confirmed, new disputes, updated figures."""
        return atom(request, lambda store, base: feeds.story_feed(store, base, story_id))

    @app.get("/feeds/storylines/{storyline_id:id}.atom", tags=["feeds"], responses=ATOM_RESPONSE)
    def feed_storyline(request: Request, storyline_id: str) -> Response:
        """A storyline's stories and their updates."""
        return atom(request, lambda store, base: feeds.storyline_feed(store, base, storyline_id))


def _download(body: str, fmt: str, name: str) -> Response:
    return Response(
        body,
        media_type=export.FORMATS[fmt].media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


class SuffixRoute(APIRoute):
    """A route `/…/{id:path}/suffix` that matches only when the suffix was sent as such,
    not as the end of an encoded id: `/api/stories/a%2Fexport` is story "a/export"
    (the server decodes %2F to "/" before routing, so the raw path must decide)."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child = super().matches(scope)
        raw = scope.get("raw_path")
        suffix = "/" + self.path.rsplit("/", 1)[1]
        if match is not Match.NONE and raw and not raw.endswith(suffix.encode()):
            return Match.NONE, {}
        return match, child


def _install_exports(app: FastAPI, state: App) -> None:
    fmt_query = Query(..., alias="format", pattern="^(csv|geojson|jsonl)$")

    def api_story_export(story_id: str, fmt: str = fmt_query) -> Response:
        """One story's facts (csv), places (geojson) or articles and facts (jsonl)."""
        with state.db() as store:
            body = "".join(export.export(store, [story_id], fmt))
        return _download(body, fmt, export.filename(fmt, story_id=story_id))

    app.router.add_api_route(
        "/api/stories/{story_id:id}/export",
        api_story_export,
        methods=["GET"],
        tags=["export"],
        responses=EXPORT_RESPONSE,
        route_class_override=SuffixRoute,
    )

    @app.get("/api/export", tags=["export"], responses=EXPORT_RESPONSE)
    def api_export(
        q: str = Query(..., min_length=1, max_length=500),
        fmt: str = fmt_query,
        limit: int = Query(50, ge=1, le=200),
    ) -> Response:
        """The stories matching a full-text search, exported as for one story."""
        query = search_query(q)
        if not query:
            raise NewsloomError("q: empty query")
        with state.db() as store:
            ids = store.story_ids_matching(query, limit=limit)
            body = "".join(export.export(store, ids, fmt))
        return _download(body, fmt, export.filename(fmt, query=q))
