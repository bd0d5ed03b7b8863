"""Train the paraphrase matcher on MRPC train and write newsloom/data/paraphrase-model.json.

Usage: .venv/bin/python scripts/train_paraphrase.py [PATH/TO/msr_paraphrase_train.txt]
(default ../shared/eval/mrpc/msr_paraphrase_train.txt). Takes about a minute on 2 CPU
cores (almost all of it embedding 8,152 sentences). Only the weights ship, not the data.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from newsloom.evaluate.paraphrase import load_mrpc
from newsloom.nlp import load_embedder
from newsloom.paraphrase import MODEL_FILE, feature_matrix, fit_model

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "eval" / "mrpc" / "msr_paraphrase_train.txt"


def main(argv: list[str]) -> None:
    data = Path(argv[0]) if argv else DEFAULT_DATA
    a, b, y = load_mrpc(data)
    emb = load_embedder()
    x = feature_matrix(a, b, emb.embed(a), emb.embed(b))
    model = fit_model(x, y)
    out = ROOT / "newsloom" / "data" / MODEL_FILE
    payload = {"trained_on": f"MRPC train ({len(y)} pairs)", **model.to_dict()}
    out.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out} (threshold {model.threshold:.3f})")


if __name__ == "__main__":
    main(sys.argv[1:])
