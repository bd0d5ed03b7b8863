"""Command line: thin wrappers that parse options, call the API and print.

Exit codes: 0 all inputs read; 1 some inputs could not be read (the rest were
processed and reported); 2 bad usage or an unusable database/evaluation data.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from newsloom import __version__
from newsloom.brief import build_briefing
from newsloom.errors import NewsloomError
from newsloom.executors import Executor, make_executor
from newsloom.pipeline import Resources, RunReport, run
from newsloom.render import to_html, to_json, to_markdown
from newsloom.store import Store
from newsloom.storylines import storyline_detail, storyline_rows, with_storyline

EVAL_STAGES = ("text", "places", "dates", "quotes", "cluster", "paraphrase", "copies", "facts")

db_option = click.option(
    "--db",
    default="newsloom.db",
    show_default=True,
    metavar="FILE|URL",
    help="SQLite database file, or a PostgreSQL URL (postgresql://USER@HOST:PORT/DB).",
)

format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["markdown", "json"]),
    default="markdown",
    show_default=True,
    help="Briefing format on stdout.",
)


def _writable(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Refuse an output path whose folder does not exist before any work is done."""
    if value and not Path(value).resolve().parent.is_dir():
        raise click.BadParameter(f"{value}: no such folder", ctx=ctx, param=param)
    return value


html_option = click.option(
    "--html",
    type=click.Path(dir_okay=False),
    callback=_writable,
    help="Also write a self-contained HTML report.",
)


def output_options(command: Callable[..., None]) -> Callable[..., None]:
    return format_option(html_option(command))


workers_option = click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes for the per-article and per-story stages"
    "  [default: the machine's cores].",
)
cluster_option = click.option(
    "--cluster",
    metavar="ADDRESS",
    help="Run those stages on a Dask cluster instead: tcp://HOST:8786, or local:N"
    " to start N local worker processes.",
)


def executor_options(command: Callable[..., None]) -> Callable[..., None]:
    return workers_option(cluster_option(command))


@contextmanager
def _executor(resources: Resources, workers: int | None, cluster: str | None) -> Iterator[Executor]:
    try:
        executor = make_executor(resources, workers, cluster)
    except NewsloomError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        yield executor
    finally:
        executor.close()


@click.group()
@click.version_option(__version__, prog_name="newsloom")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """newsloom: from a pile of news reports to verified, cited story briefings."""
    # Models load lazily on first use; a caller (e.g. the tests) may pass loaded ones as `obj`.
    if not isinstance(ctx.obj, Resources):
        ctx.obj = Resources()


def _open(db: str, existing: bool = False) -> Store:
    """The store at `db`; with `existing` (commands that only read), a missing SQLite file is
    an error: a mistyped --db would otherwise read as an empty archive."""
    if existing and "://" not in db and not Path(db).exists():
        raise click.ClickException(f"{db}: no such database (ingest or brief writes one)")
    try:
        return Store(db)
    except NewsloomError as exc:
        raise click.ClickException(str(exc)) from exc


def _run(
    paths: tuple[str, ...],
    store: Store,
    resources: Resources,
    workers: int | None,
    cluster: str | None,
) -> RunReport:
    """Ingest `paths` ("-" for stdin); a store-level error is one line, not a traceback."""
    stdin = sys.stdin.buffer if "-" in paths else None
    with _executor(resources, workers, cluster) as executor:
        try:
            return run(list(paths), store, resources, stdin=stdin, executor=executor)
        except NewsloomError as exc:
            raise click.ClickException(str(exc)) from exc


def _briefings(store: Store, story_ids: list[str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for sid in story_ids:
        story = store.get_story(sid)
        articles = store.get_articles(story.article_ids)
        out.append(with_storyline(store, build_briefing(story, articles, store.get_facts(sid))))
    return out


def _emit(briefings: list[dict[str, Any]], fmt: str, html: str | None, errors: list[str]) -> None:
    text = to_json(briefings, errors) if fmt == "json" else to_markdown(briefings, errors)
    click.echo(text, nl=False)
    if html:
        Path(html).write_text(to_html(briefings, errors), encoding="utf-8")
        click.echo(f"newsloom: HTML report written to {html}", err=True)


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@db_option
@output_options
@executor_options
@click.pass_obj
def brief(
    resources: Resources,
    paths: tuple[str, ...],
    db: str,
    fmt: str,
    html: str | None,
    workers: int | None,
    cluster: str | None,
) -> None:
    """Read articles (files, folders, globs, or - for stdin) and brief their stories.

    Output covers every story that contains at least one of the input articles.
    """
    store = _open(db)
    report = _run(paths, store, resources, workers, cluster)
    errors = [str(e) for e in report.errors]
    _emit(_briefings(store, report.story_ids), fmt, html, errors)
    if report.errors:
        sys.exit(1)


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@db_option
@executor_options
@click.pass_obj
def ingest(
    resources: Resources,
    paths: tuple[str, ...],
    db: str,
    workers: int | None,
    cluster: str | None,
) -> None:
    """Read articles into the database and update their stories, without printing a briefing."""
    store = _open(db)
    report = _run(paths, store, resources, workers, cluster)
    click.echo(
        f"read {report.read} articles: {report.new} new, {report.already_stored} already stored,"
        f" {len(report.story_ids)} stories touched, {len(report.errors)} inputs failed",
        err=True,
    )
    if report.errors:
        sys.exit(1)


@cli.command()
@db_option
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1_000_000))
@click.option("--order", type=click.Choice(["recent", "size"]), default="recent", show_default=True)
def stories(db: str, limit: int, order: str) -> None:
    """List the stories in the database."""
    store = _open(db, existing=True)
    for row in store.story_rows(limit=limit, order=order):
        dates = row["last_published"][:10] or "undated"  # one column of days
        n = row["n_articles"]
        click.echo(f"{row['id']}  {n:>3} {_noun(n, 'article')}  {dates:<10}  {row['title']}")


@cli.command()
@click.argument("storyline_ids", nargs=-1)
@db_option
@click.option("--limit", default=20, show_default=True, help="How many storylines to list.")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of text.")
def storylines(storyline_ids: tuple[str, ...], db: str, limit: int, as_json: bool) -> None:
    """List storylines (events of one developing situation), or show the given ones
    with their events in time order."""
    store = _open(db, existing=True)
    if not storyline_ids:
        rows, total = storyline_rows(store, limit=limit)
        if as_json:
            click.echo(json.dumps({"total": total, "storylines": rows}, ensure_ascii=False))
            return
        for row in rows:
            days = _days(row["first_day"], row["last_day"])
            n = row["n_stories"]
            click.echo(f"{row['id']}  {n:>3} {_noun(n, 'event')}  {days:<23}  {row['title']}")
        return
    try:
        details = [storyline_detail(store, line_id) for line_id in storyline_ids]
    except NewsloomError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(details, ensure_ascii=False))
        return
    for line in details:
        click.echo(f"{line['id']}  {line['title']}")
        for e in line["events"]:
            days = _days(e["first_published"][:10], e["last_published"][:10])
            n = e["n_articles"]
            click.echo(f"  {days:<23}  {e['id']}  {n:>3} {_noun(n, 'article')}  {e['title']}")


def _noun(n: int, noun: str) -> str:
    """ "article " for one (padded, so columns stay aligned), "articles" for more."""
    return f"{noun} " if n == 1 else f"{noun}s"


def _days(first: str, last: str) -> str:
    """ "2023-11-17", "2023-11-17 – 2023-11-22" or "undated"."""
    return " – ".join(dict.fromkeys(d for d in (first, last) if d)) or "undated"


@cli.command()
@click.argument("story_ids", nargs=-1, required=True)
@db_option
@output_options
def show(story_ids: tuple[str, ...], db: str, fmt: str, html: str | None) -> None:
    """Brief stories already in the database, by id."""
    store = _open(db, existing=True)
    try:
        briefings = _briefings(store, list(story_ids))
    except NewsloomError as exc:
        raise click.ClickException(str(exc)) from exc
    _emit(briefings, fmt, html, [])


@cli.command(name="eval")
@click.argument("stage", type=click.Choice(EVAL_STAGES))
@click.option("--data", required=True, type=click.Path(), help="Path of the gold data.")
@click.option("--limit", type=int, default=None, help="Only the first N items (a quick slice).")
@click.option("--split", default="all", show_default=True, help="Which part to report on.")
@click.option("--json", "as_json", is_flag=True, help="End with one JSON object of the metrics.")
@click.option(
    "--shipped",
    is_flag=True,
    help="paraphrase: score every pair of DATA with the shipped model, no refitting.",
)
def evaluate(
    stage: str, data: str, limit: int | None, split: str, as_json: bool, shipped: bool
) -> None:
    """Measure one stage against public gold data (precision/recall/F1 beside references).

    \b
    DATA per stage (full descriptions and figures: docs/evaluation.md):
      text        folder of HTML pages with gold main texts (AEB layout)
      places      GeoWebNews GWN.xml, or a JSONL of texts with gold toponyms
      dates       folder holding TimeBank/ and AQUAINT/ (TimeML .tml files)
      quotes      PolNeAR folder
      cluster     JSONL: id, text, gold event; optional url, date, title,
                  storyline, split (ECB+ JSONL works as it is)
      paraphrase  MRPC-format TSV (Quality, #1 ID, #2 ID, #1 String, #2 String)
      copies      JSONL of labelled page pairs; texts from recipe.jsonl and
                  pages/ (or spun.jsonl) beside it, or the real-web corpus
      facts       JSONL of labelled statement pairs; page texts as for copies
    """
    from newsloom.evaluate import run_stage

    if shipped and stage != "paraphrase":
        raise click.UsageError("--shipped applies to the paraphrase stage only")
    options = {"shipped": True} if shipped else {}
    try:
        result = run_stage(stage, Path(data), limit=limit, split=split, **options)
    except NewsloomError as exc:
        click.echo(f"newsloom: {exc}", err=True)
        sys.exit(2)
    click.echo(result.table())
    if as_json:
        click.echo(json.dumps({"stage": stage, "split": split, **result.metrics}))


@cli.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--allow-dir",
    multiple=True,
    type=click.Path(file_okay=False, exists=True),
    help="A server folder that the admin ingest form may read (repeatable).",
)
@click.option(
    "--token",
    envvar="NEWSLOOM_TOKEN",
    show_envvar=True,
    default="",
    help="Require this secret (16+ characters): a bearer header for /api/, a login form for"
    " the pages. Required when --host is not a loopback address.",
)
@click.option("--read-only", is_flag=True, help="Refuse ingest (form and API answer 403).")
def serve(
    db: str, host: str, port: int, allow_dir: tuple[str, ...], token: str, read_only: bool
) -> None:
    """Serve the web app and HTTP API on the database."""
    from newsloom.web.app import serve as serve_app

    try:
        serve_app(
            db=db,
            host=host,
            port=port,
            allow_dirs=list(allow_dir),
            token=token,
            read_only=read_only,
        )
    except NewsloomError as exc:
        click.echo(f"newsloom: {exc}", err=True)
        sys.exit(2)


@cli.command()
@click.argument("targets", nargs=-1, required=True)
@db_option
@click.option("--interval", default=60.0, show_default=True, help="Seconds between polls.")
@click.option("--once", is_flag=True, help="Poll once and exit (for cron and tests).")
@click.option(
    "--alert",
    "alert_queries",
    multiple=True,
    metavar="QUERY",
    help="Alert when a story matching QUERY appears or gets a new conflict or updated figure"
    " (repeatable).",
)
@click.option(
    "--webhook", multiple=True, metavar="URL", help="POST each alert as JSON to URL (repeatable)."
)
@click.option(
    "--alert-cmd",
    "alert_cmds",
    multiple=True,
    metavar="CMD",
    help="Run CMD with each alert's JSON on stdin (repeatable).",
)
@click.option(
    "--base-url",
    default="http://127.0.0.1:8000/",
    show_default=True,
    metavar="URL",
    help="Where `newsloom serve` is reached, for the links in alerts.",
)
@executor_options
@click.pass_obj
def watch(
    resources: Resources,
    targets: tuple[str, ...],
    db: str,
    interval: float,
    once: bool,
    alert_queries: tuple[str, ...],
    webhook: tuple[str, ...],
    alert_cmds: tuple[str, ...],
    base_url: str,
    workers: int | None,
    cluster: str | None,
) -> None:
    """Ingest new files in folders, or new items of RSS/Atom feed URLs, as they appear."""
    from newsloom.alerts import Alerter, make_targets
    from newsloom.watch import watch as watch_targets

    if (webhook or alert_cmds) and not alert_queries:
        raise click.UsageError("--webhook and --alert-cmd need an --alert QUERY")
    store = _open(db)
    alerter = None
    try:
        with _executor(resources, workers, cluster) as executor:
            if alert_queries:
                alerter = Alerter(
                    db, alert_queries, make_targets(webhook, alert_cmds), base_url=base_url
                )
                alerter.start(store)

            def check_alerts(_results: object) -> None:
                if alerter is not None:
                    alerter.check(store)

            results = watch_targets(
                list(targets),
                store,
                resources,
                interval=interval,
                once=once,
                on_poll=check_alerts,
                executor=executor,
            )
    except NewsloomError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        if alerter is not None:
            alerter.close(drain=once)
    if once and any(r.error or (r.report and r.report.errors) for r in results):
        sys.exit(1)  # a cron job learns that some input failed (each is named above)


@cli.command()
@click.argument("story_ids", nargs=-1)
@click.option("--query", "-q", help="Export the stories matching this full-text search.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "geojson", "jsonl"]),
    required=True,
    help="csv: facts; geojson: places; jsonl: stories, articles and facts.",
)
@click.option("--out", type=click.Path(dir_okay=False), help="Write to FILE (default stdout).")
@click.option(
    "--limit", default=200, show_default=True, help="At most this many stories for --query."
)
@db_option
def export(
    story_ids: tuple[str, ...], query: str | None, fmt: str, out: str | None, limit: int, db: str
) -> None:
    """Export stories' facts (CSV), places (GeoJSON) or articles and facts (JSON Lines)."""
    from newsloom.export import export as export_stories

    if bool(story_ids) == bool(query):
        raise click.UsageError("give STORY_ID... or --query Q (one of them)")
    store = _open(db, existing=True)
    ids = list(story_ids) or store.story_ids_matching(query or "", limit=limit)
    if query and not ids:
        click.echo(f"newsloom: no story matches {query!r}", err=True)
    try:
        chunks = export_stories(store, ids, fmt)
        if out is None:
            for chunk in chunks:
                click.echo(chunk, nl=False)
        else:
            _write_atomically(Path(out), chunks)
            stories = f"{len(ids)} stor{'y' if len(ids) == 1 else 'ies'}"
            click.echo(f"newsloom: {stories} exported to {out}", err=True)
    except NewsloomError as exc:
        raise click.ClickException(str(exc)) from exc


def _write_atomically(path: Path, chunks: Iterable[str]) -> None:
    """Write beside the target and rename, so a failed export never leaves half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            for chunk in chunks:
                fh.write(chunk)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def main() -> None:
    cli()
