"""What backs the statement a fact shows (issue #11, the audit's minor_part): a member that
only shares a side part of the shown sentence is no independent source of it."""

from __future__ import annotations

from newsloom.compare import ClaimKey, Value
from newsloom.fuse import Statement, _carries


def _claim(verb: str, agent: str, patient: str, *, negated: bool = False) -> ClaimKey:
    agents = frozenset({agent}) if agent else frozenset()
    patients = frozenset({patient}) if patient else frozenset()
    return ClaimKey(verb, agent, patient, agents, patients, frozenset(), negated, True)


def test_a_denial_is_backed_only_by_a_member_that_denies() -> None:
    """ "Israel has not claimed responsibility for the attack on Iran's consulate" shares most
    of its words with "the attack is in response to an Israeli strike on Iran's consulate",
    which says nothing of a claim of responsibility."""
    deny = _claim("claim responsibility", "israel", "iran", negated=True)
    shown = Statement(0, 0, "Israel has not claimed responsibility for the attack on Iran's "
                      "consulate in Damascus", 0, 90)  # fmt: skip
    shown.claims, shown.claim_values, shown.primary, shown.negated = [deny], [[]], 0, True
    retaliation = Statement(1, 0, "The attack is in response to an Israeli strike on Iran's "
                            "consulate in Damascus", 0, 80)  # fmt: skip
    assert not _carries(shown, deny, retaliation)
    silent = Statement(2, 0, "Israel has not claimed responsibility for the strike on the "
                       "Iranian consulate in Damascus", 0, 80)  # fmt: skip
    silent.claims, silent.claim_values, silent.primary = [deny], [[]], 0
    silent.negated = True
    assert _carries(shown, deny, silent)
    worded = Statement(3, 0, "Israel did not claim responsibility for the attack on Iran's "
                       "consulate in Damascus", 0, 80)  # fmt: skip
    worded.negated = True  # no parse: its words deny
    assert _carries(shown, deny, worded)


def test_a_statement_shown_for_a_side_claim_is_backed_by_its_main_clause_figures() -> None:
    """A sentence that joined a fact for another of its claims is read for its main clause:
    "Abouyaaqoub, a 22-year-old Moroccan, reportedly shouted 'Allahu akbar'" is not backed by
    another page's "Abouyaaqoub, a 22-year-old Moroccan, was the driver", though both give
    his age; a figure of the main clause itself still backs."""
    age = Value("age", "", 22.0, 22.0, 22.0)
    shout = _claim("shout", "younes abouyaaqoub", "")
    shown = Statement(0, 0, "Abouyaaqoub, a 22-year-old Moroccan, reportedly shouted Allahu "
                      "akbar as he was challenged by officers", 0, 100)  # fmt: skip
    shown.claims, shown.claim_values, shown.values, shown.primary = [shout], [[]], [age], 0
    driver = Statement(1, 0, "As the manhunt was launched, the Catalan interior secretary "
                       "told local radio that everything indicates that Abouyaaqoub, a "
                       "22-year-old Moroccan and resident of Ripoll, was the driver of the van",
                       0, 160)  # fmt: skip
    driver.values = [age]
    assert not _carries(shown, None, driver)
    assert _carries(shown, shout, driver) is False  # nor as its main claim: no shared action
    killed = Value("people", "", 13.0, 13.0, 13.0, verb="kill")
    attack = _claim("kill", "van", "")
    toll = Statement(2, 0, "A van killed 13 people on Las Ramblas, police said, as a "
                     "manhunt began for its driver", 0, 90)  # fmt: skip
    toll.claims, toll.claim_values, toll.values, toll.primary = [attack], [[killed]], [killed], 0
    report = Statement(3, 0, "Thirteen people were killed when the van ploughed into crowds",
                       0, 60)  # fmt: skip
    report.values = [Value("people", "", 13.0, 13.0, 13.0, verb="kill")]
    assert _carries(toll, None, report)  # the main clause's own toll
