# Two entry points for a fresh clone: `make run` (set up, then the main job) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Offline: use the dataset mirror beside the checkout when there is one and none is set.
ifeq ($(GRAPHCL_DATASET_MIRROR),)
ifneq ($(wildcard ../shared/datasets),)
export GRAPHCL_DATASET_MIRROR := $(abspath ../shared/datasets)
endif
endif

.PHONY: setup run test clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/graphcl pretrain --method dgi --dataset Cora

test: $(STAMP)
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) *.egg-info
