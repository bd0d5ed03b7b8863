"""Small synthetic news corpora for tests that need many articles of clearly distinct
events (concurrent writers, executors): each event has its own place, date, people and
numbers, and each report picks its own sentences and order, like outlets rewriting a
story. Deterministic for a given seed."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Event:
    key: str
    date: str
    titles: tuple[str, ...]
    sentences: tuple[str, ...]


EVENTS = (
    Event(
        "flood",
        "2024-10-30",
        (
            "Flash floods kill 95 in Valencia region",
            "Valencia floods: death toll rises to 95",
            "Spain mourns 95 dead after Valencia flash floods",
        ),
        (
            "Flash floods swept through the Valencia region of eastern Spain on Tuesday,"
            " killing at least 95 people.",
            "Torrential rain dumped a year's worth of water on the town of Chiva in eight hours.",
            "Prime Minister Pedro Sanchez declared three days of national mourning.",
            "Rescue teams used helicopters to lift drivers from the roofs of their cars.",
            "The regional government said 1,200 soldiers had been sent to clear the streets.",
            "Residents of Paiporta said the water rose to two metres within minutes.",
            "The Aemet weather agency had issued a red alert for the Valencia coast.",
            '"We have never seen anything like this," said Carlos Mazon, the regional leader.',
        ),
    ),
    Event(
        "quake",
        "2023-02-06",
        (
            "Magnitude 7.8 earthquake strikes southern Turkey",
            "Thousands dead as 7.8 quake hits Turkey and Syria",
            "Gaziantep quake: rescuers dig through rubble",
        ),
        (
            "A magnitude 7.8 earthquake struck near Gaziantep in southern Turkey before dawn"
            " on Monday.",
            "The tremor toppled apartment blocks across the provinces of Hatay and Kahramanmaras.",
            "President Recep Tayyip Erdogan declared a state of emergency in ten provinces.",
            "The AFAD disaster agency said 2,300 people had died in Turkey alone.",
            "A second quake of magnitude 7.5 hit the region in the afternoon.",
            "Rescuers in Antakya pulled a child alive from a collapsed building.",
            "Aid teams from 45 countries offered help, the foreign ministry said.",
            '"Every minute counts now," said Orhan Tatar of the AFAD agency.',
        ),
    ),
    Event(
        "fire",
        "2022-05-14",
        (
            "Fire destroys chemical plant in Dayton, Ohio",
            "Dayton chemical plant blaze forces 3,000 to evacuate",
            "Ohio plant fire: residents told to stay indoors",
        ),
        (
            "A fire tore through the Miller Coatings chemical plant in Dayton, Ohio,"
            " on Saturday night.",
            "About 3,000 residents within a mile of the plant were told to leave their homes.",
            "Fire Chief Jeffrey Payne said 60 firefighters fought the blaze for six hours.",
            "Thick black smoke drifted over the Great Miami River.",
            "The Environmental Protection Agency sent air monitors to the neighbourhood.",
            "Two workers were treated for smoke inhalation at Miami Valley Hospital.",
            "The company said the fire began in a storage tank of solvent.",
            '"The smoke is toxic, keep your windows shut," Payne told reporters.',
        ),
    ),
    Event(
        "election",
        "2022-08-15",
        (
            "William Ruto declared winner of Kenya presidential election",
            "Kenya: Ruto wins presidency with 50.5% of the vote",
            "Ruto beats Odinga in tight Kenyan election",
        ),
        (
            "Kenya's electoral commission declared Deputy President William Ruto the winner"
            " of the presidential election on Monday.",
            "Ruto won 50.5% of the vote against 48.8% for Raila Odinga.",
            "Commission chairman Wafula Chebukati announced the result at the Bomas of Kenya"
            " in Nairobi.",
            "Four of the seven commissioners disowned the count minutes before the announcement.",
            "Supporters of Ruto celebrated in the streets of Eldoret.",
            "Odinga's camp said it would challenge the result in the Supreme Court.",
            "Turnout was 65%, the lowest in fifteen years.",
            '"There is no loser in this election," Ruto told the crowd.',
        ),
    ),
    Event(
        "derailment",
        "2023-06-02",
        (
            "Train crash in Odisha kills 288",
            "India's Balasore train collision leaves 288 dead",
            "Three trains collide near Balasore in Odisha",
        ),
        (
            "Three trains collided near Balasore in the Indian state of Odisha on Friday"
            " evening, killing 288 people.",
            "The Coromandel Express hit a stationary goods train and derailed onto another track.",
            "Railway Minister Ashwini Vaishnaw said a signalling fault caused the crash.",
            "More than 1,100 passengers were injured, officials said.",
            "Prime Minister Narendra Modi visited the site on Saturday.",
            "Local hospitals appealed for blood donors through the night.",
            "It was the deadliest rail accident in India in more than twenty years.",
            '"The cause has been identified," Vaishnaw told reporters at the site.',
        ),
    ),
    Event(
        "mine",
        "2010-08-05",
        (
            "33 miners trapped after collapse at San Jose mine in Chile",
            "Chile: rescuers race to reach 33 trapped miners",
            "Copiapo mine collapse traps 33 workers",
        ),
        (
            "A rockfall at the San Jose copper and gold mine near Copiapo, Chile, trapped"
            " 33 miners on Thursday.",
            "The men were working 700 metres below the surface of the Atacama desert.",
            "Mining Minister Laurence Golborne flew to the site to lead the rescue.",
            "Drilling crews began boring narrow holes to find the shelter where the men were.",
            "Families set up a tent camp called Camp Hope at the mine entrance.",
            "The San Esteban mining company had been fined for safety breaches before.",
            "President Sebastian Pinera promised to do everything to bring the men out.",
            '"We will not rest until we find them," Golborne said.',
        ),
    ),
)


def article_records(event: Event, n: int, seed: int) -> list[dict[str, str]]:
    """`n` reports of one event, each from its own outlet with its own wording."""
    rng = random.Random(f"{event.key}-{seed}")
    records = []
    for i in range(n):
        rest = event.sentences[1:]
        picked = rng.sample(rest, k=rng.randint(4, len(rest)))
        records.append(
            {
                "id": f"{event.key}-{seed}-{i}",
                "title": rng.choice(event.titles),
                "text": "\n\n".join([event.sentences[0], *picked]),
                "date": event.date,
                "source": f"outlet{i}-{event.key}",
            }
        )
    return records


def write_corpus(path: Path, events: list[Event], per_event: int, seed: int = 0) -> list[str]:
    """Write one JSONL file of `per_event` reports of each event; return the record ids."""
    records = [r for ev in events for r in article_records(ev, per_event, seed)]
    random.Random(seed).shuffle(records)
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return [r["id"] for r in records]
