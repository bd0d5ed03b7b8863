"""Bounds on untrusted input, in one place, so that no input can hang or exhaust a run.

Every reader stays linear in its input and every input is capped in size; what is over a
cap becomes one `InputError` (or, for a long article, a cut with a warning), never a hang.
The numbers are documented in docs/architecture.md ("Limits").
"""

from __future__ import annotations

import re

MAX_INPUT_BYTES = 50_000_000  # one file, or a gzip/WARC file once decompressed
MAX_HTML_BYTES = 5_000_000  # one HTML page (a file, a WARC record, a JSON "html" field)
MAX_HTML_ELEMENTS = 100_000  # ~20 s of extraction; AEB's largest page has 1,596
MAX_ARTICLE_CHARS = 100_000  # news articles are far shorter; longer texts are cut
MAX_JSON_DEPTH = 64  # nesting of one JSON record: articles are flat objects
MAX_RUN_CHARS = 100  # a longer run without whitespace is split before parsing

# spaCy's tokenizer splits prefixes and suffixes off a whitespace-free run one at a time,
# which is quadratic in the run's length (20,000 "(" took 125 s to parse).
_LONG_RUN = re.compile(rf"\S{{{MAX_RUN_CHARS + 1},}}")


def parse_safe(text: str) -> str:
    """`text` as handed to the parser: every whitespace-free run longer than
    `MAX_RUN_CHARS` gets a space every `MAX_RUN_CHARS` characters, so the tokenizer stays
    linear. The length never changes, so character offsets into the article still hold."""
    return _LONG_RUN.sub(_split_run, text)


def _split_run(match: re.Match[str]) -> str:
    chars = list(match.group(0))
    cuts = range(MAX_RUN_CHARS, len(chars), MAX_RUN_CHARS + 1)
    for i in cuts:
        chars[i] = " "
    return "".join(chars)
