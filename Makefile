# Two commands from a fresh clone: `make demo` (pretrain on the embedded data, probe, table) and
# `make test`. Each creates the virtualenv first when it is missing or pyproject.toml changed.
VENV ?= .venv
STAMP := $(VENV)/.installed

.PHONY: install demo test results clean

install: $(STAMP)

$(STAMP): pyproject.toml setup.py scripts/install.sh
	bash scripts/install.sh $(VENV)
	touch $@

demo: $(STAMP)
	$(VENV)/bin/vmk pretrain

test: $(STAMP)
	$(VENV)/bin/python -m pytest

# The project's benchmark on the three embedded datasets (3 views x 3 seeds each) into docs/results.md.
results: $(STAMP)
	$(VENV)/bin/python scripts/results.py

clean:
	rm -rf $(VENV) outputs multirun results_runs
