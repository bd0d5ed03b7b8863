"""Time (and peak memory) of the readers and text stages on hostile inputs (issue #12).

Each case grows its input 4x per step: a linear stage grows about 4x in time, a quadratic
one 16x. Run: `python bench/bench_hostile.py [--sizes 65536 262144 1048576] [--spacy]`.
`--spacy` also parses a run of "(" (the tokenizer's quadratic case) through extract_batch.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from newsloom import clean, ingest

ROOT = Path(__file__).resolve().parent.parent
PAGE = (ROOT / "tests" / "data" / "ingest" / "harbour.html").read_text()


def _feed(body: str) -> Callable[[], object]:
    def read() -> object:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "big.rss"
            path.write_text(
                '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><item>'
                f"<description><![CDATA[{body}]]></description></item></channel></rss>"
            )
            return list(ingest.read_inputs([str(path)]))

    return read


def _warc_bomb(size: int) -> Callable[[], object]:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=True)
    headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], "HTTP/1.1")
    record = writer.create_warc_record(
        "https://x.example/", "response", payload=io.BytesIO(b"\0" * size), http_headers=headers
    )
    writer.write_record(record)
    data = buf.getvalue()

    def read() -> object:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bomb.warc.gz"
            path.write_bytes(data)
            return list(ingest.read_inputs([str(path)]))

    return read


def _deep_json(size: int) -> Callable[[], object]:
    line = '{"text": ' + "[" * (size // 2) + "]" * (size // 2) + "}"

    def read() -> object:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "deep.jsonl"
            path.write_text(line + "\n" + json.dumps({"text": "A good line."}))
            return list(ingest.read_inputs([str(path)]))

    return read


def cases(size: int) -> dict[str, Callable[[], object]]:
    return {
        "html_to_text: unclosed <script>": lambda: ingest.html_to_text("<script>" * (size // 8)),
        "html_to_text: '<' only": lambda: ingest.html_to_text("<" * size),
        "html_to_text: '<p ' unclosed": lambda: ingest.html_to_text("<p " * (size // 3)),
        "extract_html: unclosed <figcaption>": lambda: ingest.extract_html(
            PAGE.replace("</body>", "<figcaption>" * (size // 12) + "</body>")
        ),
        "extract_html: many small blocks": lambda: ingest.extract_html(
            PAGE.replace("</body>", "<div><span>x</span></div>" * (size // 26) + "</body>")
        ),
        "RSS item body: unclosed <script>": _feed("<p>Flood.</p>" + "<script>" * (size // 8)),
        "split_sentences: run of dots": lambda: clean.split_sentences("A " + "." * size + "x"),
        "clean_text: 'By AAAA…!' line": lambda: clean.clean_text("By " + "A" * size + "!"),
        "gzip bomb (x100)": lambda: list(
            ingest._read_bytes(gzip.compress(b"\0" * size * 100), "b.txt.gz", "b", 50_000_000)
        ),
        "WARC bomb record (x100)": _warc_bomb(size * 100),
        "JSONL: deep nesting": _deep_json(size),
    }


def measure(fn: Callable[[], object]) -> tuple[float, float]:
    tracemalloc.start()
    start = time.perf_counter()
    fn()
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return seconds, peak


def spacy_case(sizes: list[int]) -> None:
    from newsloom.extract import extract_batch
    from newsloom.extract.places import load_gazetteer
    from newsloom.models import Article
    from newsloom.nlp import load_spacy

    nlp, gazetteer = load_spacy(), load_gazetteer()
    for size in sizes:
        art = Article(id="x", text="Start " + "(" * size + " end.")
        start = time.perf_counter()
        extract_batch([art], nlp, gazetteer)
        print(f"| extract_batch: run of '(' | {size:,} | {time.perf_counter() - start:.2f} | |")


def live_ingest() -> None:
    import threading

    import httpx
    import uvicorn

    from newsloom.pipeline import Resources
    from newsloom.web.app import create_app

    resources = Resources()
    resources.nlp, resources.embedder, resources.gazetteer  # noqa: B018 (load before timing)
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(str(Path(tmp) / "live.db"), resources=resources)
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="error"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
        lead = "Flood waters rose overnight in the valley town, officials said. " * 20
        body = f"<html><body><p>{lead}</p>{'<figcaption><script><p ' * 16_000}</body></html>"
        latencies: list[float] = []
        done = threading.Event()

        def reader() -> None:
            with httpx.Client() as client:
                while not done.is_set():
                    start = time.perf_counter()
                    client.get(url + "/api/stories")
                    latencies.append(time.perf_counter() - start)
                    time.sleep(0.05)

        reading = threading.Thread(target=reader)
        reading.start()
        start = time.perf_counter()
        response = httpx.post(
            url + "/api/ingest", content=body, headers={"content-type": "text/html"}, timeout=600
        )
        seconds = time.perf_counter() - start
        done.set()
        reading.join()
        server.should_exit = True
        thread.join()
    latencies.sort()
    print(
        f"live ingest of {len(body):,} bytes: HTTP {response.status_code} in {seconds:.1f} s;"
        f" {len(latencies)} reads meanwhile, median {latencies[len(latencies) // 2]:.3f} s,"
        f" max {latencies[-1]:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[65_536, 262_144, 1_048_576])
    parser.add_argument("--spacy", action="store_true")
    parser.add_argument("--server", action="store_true")
    args = parser.parse_args()
    if args.server:
        live_ingest()
        return
    print("| case | input size (chars/bytes) | seconds | peak MB (traced) |")
    print("|---|---|---|---|")
    names = list(cases(args.sizes[0]))
    for name in names:
        for size in args.sizes:
            seconds, peak = measure(cases(size)[name])
            print(f"| {name} | {size:,} | {seconds:.2f} | {peak:.0f} |", flush=True)
    if args.spacy:
        spacy_case([5_000, 20_000, 80_000])


if __name__ == "__main__":
    main()
