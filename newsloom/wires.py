"""Which news agency's text a page carries, read from its own credit lines.

Two checks, for two uses. Copy tracing asks whether a page names an agency anywhere
(`credited_anywhere`): a rewrite of wire copy usually credits it somewhere, and two near
copies that both credit one agency carry its text rather than copy each other. Source
counting asks whether the page runs the agency's text as its own report
(`credited_as_source`): an agency's own site, a dateline or byline credit near the top
("KABUL (Reuters) -", "By The Associated Press") or Reuters' sign-off; a page that only
quotes "Reuters reported" is still its own report. Both name an agency by one lower-case id
("ap", "afp", "reuters", ...), so the two modules agree on who is who.
"""

from __future__ import annotations

import re

from newsloom.models import Article

AGENCIES = frozenset(
    "afp reuters ap dpa xinhua ani pti efe ansa kyodo yonhap tass interfax bloomberg anadolu "  # noqa: SIM905
    "bernama irna wafa".split()
) | {"agence france-presse", "associated press", "press trust of india"}
"""Agency names, lower case: a party named so is a wire, not a witness or an official."""

_NAMED = {  # agencies whose name in a text is a credit wherever it stands
    "afp": re.compile(r"\bAFP\b|Agence France[- ]Presse"),
    "ap": re.compile(r"\bAP\b|Associated Press"),
    "reuters": re.compile(r"\bReuters\b"),
}
_SITES = {"apnews": "ap", "reuters": "reuters", "afp": "afp", "ap": "ap"}
_LONG_NAMES = {"associated press": "ap", "agence france-presse": "afp"}
_SOURCE_CREDIT = re.compile(
    r"\((AP|AFP|Reuters|dpa|Xinhua|ANI|PTI|UPI|Bloomberg|IANS)\)\s*[-–—:]"
    r"|\bBy (?:The )?(Associated Press|Reuters|AFP|Agence France-Presse)\b"
)
_REUTERS_SIGNOFF = re.compile(
    r"\bReporting by [^\n;]{3,80}(?:;|\n)\s*(?:Additional reporting|Editing|Writing) by"
)
HEAD = 400  # characters in which a dateline or byline credit stands
TAIL = 600  # characters in which Reuters' sign-off stands


def credited_anywhere(text: str) -> list[str]:
    """The agencies a text names anywhere ("(AFP)", "Reuters reported", "AP Photo"), by id."""
    return [name for name, pattern in _NAMED.items() if pattern.search(text)]


def credited_as_source(article: Article, org: str = "") -> str:
    """The agency whose text the page runs as its report, by id, or "": the page's own
    organisation (`org`, its site's name) if that is an agency, else a dateline or byline
    credit near the top, else Reuters' sign-off ("Reporting by ...; Editing by ...")."""
    if org in _SITES:
        return _SITES[org]
    m = _SOURCE_CREDIT.search(article.text[:HEAD])
    if m:
        name = (m.group(1) or m.group(2)).lower()
        return _LONG_NAMES.get(name, name)
    if _REUTERS_SIGNOFF.search(article.text[-TAIL:]):
        return "reuters"
    return ""
