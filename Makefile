# Two commands on a fresh machine: `make demo` and `make test`. Both install into .venv/ first
# (pinned in requirements.lock) and reuse it on later runs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint fuzz eval bench clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip setuptools==84.2.1 wheel==0.48.0
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

demo: install
	@mkdir -p out
	$(BIN)/newsloom brief examples/kandahar.jsonl --db out/demo.db --html out/kandahar.html
	@echo "HTML report: out/kandahar.html"

lint: install
	$(BIN)/ruff check newsloom tests bench scripts
	$(BIN)/ruff format --check newsloom tests bench scripts
	$(BIN)/mypy

test: install lint
	$(BIN)/pytest -q

# Property tests of every reader and schemathesis on the live API at full size (over 10,000
# generated cases; `make test` runs a slice of the same tests). Prints the counts.
fuzz: install
	@mkdir -p out
	HYPOTHESIS_PROFILE=fuzz NEWSLOOM_FUZZ_REPORT=out/fuzz-cases.json $(BIN)/pytest -q -p no:logging tests/test_fuzz.py
	@$(BIN)/python -c "import json; d = json.load(open('out/fuzz-cases.json')); \
	print('fuzz cases:', sum(d.values()), 'in all'); [print(f'  {v:6d}  {k}') for k, v in d.items()]"

eval: install
	$(BIN)/newsloom eval text --data ../shared/eval/aeb
	$(BIN)/newsloom eval places --data ../shared/eval/geowebnews/GWN.xml
	-$(BIN)/newsloom eval places --data evalsets/localplaces/gold.jsonl  # page texts are not in git: see its README
	$(BIN)/newsloom eval dates --data ../shared/eval/timebank
	$(BIN)/newsloom eval quotes --data ../shared/eval/polnear/dev
	$(BIN)/newsloom eval cluster --data ../shared/eval/ecbplus/ecbplus.jsonl --split test
	$(BIN)/newsloom eval paraphrase --data ../shared/eval/mrpc/msr_paraphrase_train.txt

bench: install
	$(BIN)/python bench/bench_pipeline.py --n 1000 --workers 2 --json
	$(BIN)/python bench/bench_extract.py --n 300
	$(BIN)/python bench/bench_cluster.py --n 10000
	$(BIN)/python bench/bench_cluster_ecb.py

clean:
	rm -rf out .pytest_cache .mypy_cache .ruff_cache
