# The two commands a newcomer needs:  make reproduce   (the `default` profile)   and   make test
VENV ?= .venv
PY := $(VENV)/bin/python
PROFILE ?= default
CACHE := $(CURDIR)/.cache
# Keep Jupyter, IPython, matplotlib and Hugging Face caches inside the project.
export MPLCONFIGDIR ?= $(CACHE)/matplotlib
export IPYTHONDIR ?= $(CACHE)/ipython
export JUPYTER_CONFIG_DIR ?= $(CACHE)/jupyter/config
export JUPYTER_DATA_DIR ?= $(CACHE)/jupyter/data
export HF_HOME ?= $(CACHE)/huggingface
export TOKENIZERS_PARALLELISM ?= false
# Sleeping (not spinning) OpenMP threads: torch on 2 busy cores is several times faster.
export OMP_WAIT_POLICY ?= PASSIVE

.PHONY: install reproduce test bench clean-cache

install:
	@bash scripts/bootstrap.sh

reproduce: install
	$(VENV)/bin/morelib reproduce --profile $(PROFILE)

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

bench: install
	@for s in bench/*.py; do echo "== $$s"; $(PY) $$s || exit 1; done

clean-cache:
	rm -rf $(CACHE)
