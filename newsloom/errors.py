"""Exception hierarchy. Messages name the bad input and what was expected."""

from __future__ import annotations


class NewsloomError(Exception):
    """Root of every error newsloom raises on purpose."""


class InputError(NewsloomError):
    """An input file or record cannot be read as an article.

    `where` names the file (and line, for JSONL) so a batch can report it in one
    line and go on with the rest."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem


class ConfigError(NewsloomError, ValueError):
    """A setting has a value outside what is allowed."""


class StoreError(NewsloomError):
    """The SQLite store cannot be opened or written."""


class NotFound(NewsloomError, LookupError):
    """A story, article or fact id that does not exist (HTTP 404 in the web app)."""

    status = 404


class EvalDataMissing(NewsloomError):
    """Evaluation data is not where it was expected (evaluation skips, with this message)."""


class EvalDataError(NewsloomError):
    """Evaluation data is there but is not gold data of the expected kind (wrong file,
    wrong format, no gold items): one line naming the path and the problem, exit 2."""
