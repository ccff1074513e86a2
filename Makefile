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
	@mkdir -p $(CACHE)  # IPython warns when its folder's parent is missing
	@bash scripts/bootstrap.sh

reproduce: install
	$(VENV)/bin/morelib reproduce --profile $(PROFILE)

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

# Every script in bench/ (the GPU throughput one with --tiny where there is no GPU); each exits
# non-zero when its bound is missed; all run, and the target fails if any did.
bench: install
	@gpu=$$($(PY) -c 'import torch; print(int(torch.cuda.is_available()))'); fail=0; \
	for s in bench/*.py; do \
	  args=""; [ "$$s" = bench/bench_gpu_throughput.py ] && [ "$$gpu" = 0 ] && args=--tiny; \
	  echo "== $$s $$args"; $(PY) $$s $$args || { echo "!! $$s: bound missed or error"; fail=1; }; \
	done; exit $$fail

clean-cache:
	rm -rf $(CACHE)
