# Two commands matter: `make demo` and `make test`. Both start from nothing but Python 3.11 and make.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test bench bench-distributed clean

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) on PATH (set PYTHON=...)"; exit 2; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==25.3
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[test]'
	touch $(STAMP)

demo: install
	$(BIN)/archive demo --db archive.db

test: install
	$(BIN)/python -m pytest -n 2 --dist loadfile

bench: install
	$(BIN)/python bench/crawl_bench.py

bench-distributed: install  # needs redis-server (Debian: apt-get install redis-server)
	$(BIN)/python bench/distributed_bench.py

clean:
	rm -rf $(VENV) *.egg-info build  # never data: archive.db and its -wal/-shm stay
