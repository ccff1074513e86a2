"""Save and load reward models in Hugging Face's standard sequence-classification layout.

**Full RMs** (and LoRA RMs saved with ``merge=True``) are written as the backbone's
``*ForSequenceClassification`` with ``num_labels=1``, so other RLHF tools can load them with
``AutoModelForSequenceClassification.from_pretrained(path)``:

* ``config.json``: the backbone config with ``architectures=["<Arch>ForSequenceClassification"]``,
  ``num_labels=1``, the dedicated ``pad_token_id`` and ``morelib_pooling`` (the pooling rule);
* ``model.safetensors`` (sharded for large models): HF's key names, e.g. ``model.*`` +
  ``score.weight`` (Llama), ``gpt_neox.*`` + ``score.weight`` (GPT-NeoX), ``bert.*`` +
  ``classifier.weight`` / ``classifier.bias`` (= 0) (BERT);
* the tokenizer files (its ``pad_token`` is the dedicated pad) and ``morelib_reward_model.json``.

Decoder RMs (Llama, GPT-NeoX, ...) reload in HF with the same scores: HF pools at the last token
that is not the pad, which is our last real token because the pad never occurs in real text.
**Encoder (BERT-style) RMs** cannot be written as HF's ``BertForSequenceClassification``, which
scores the ``[CLS]`` state through an untrained pooler; they are written as the small custom
architecture of :mod:`morelib.models.hf_encoder_rm` (``backbone.*`` + ``score.weight``, its code
file beside the weights), which plain transformers loads with ``trust_remote_code=True`` to the
same scores. Which layout a backbone gets is decided by HF's own class: one that pools at the
last non-pad token (:func:`hf_pools_last_token`) gets the standard layout.

**The tokenizer** is saved as :mod:`morelib.models.portable_tokenizer` makes
it: plain ``tok(texts)`` (and ``truncation=True`` past ``max_length``) gives the RM's inputs,
BOS/EOS included, so ``AutoModelForSequenceClassification`` + ``AutoTokenizer`` and
``pipeline("text-classification", function_to_apply="none")`` score as morelib does. The RM's
training ``max_length`` is recorded in ``morelib_reward_model.json``.

**LoRA RMs** (``merge=False``) are saved as ``adapter/`` (peft's layout: ``adapter_config.json``
+ ``adapter_model.safetensors``), ``head.safetensors`` (the head, always saved), the tokenizer and
``morelib_reward_model.json`` naming the base model, which is resolved again on loading.

:func:`load_reward_model` reads safetensors only and never runs code from the folder unless
``trust_remote_code=True`` is passed.

Example:
    >>> import tempfile
    >>> from morelib.models import RewardModel, encode_pairs, load_tokenizer
    >>> rm, tok = RewardModel.from_name("tiny-llama", seed=0), load_tokenizer("tiny-llama")
    >>> folder = save_reward_model(rm, tok, tempfile.mkdtemp())
    >>> batch = encode_pairs(tok, ["Q:"], [" yes"], [" no"])
    >>> torch.allclose(load_reward_model(folder)(**batch).rewards, rm(**batch).rewards)
    True
"""

from __future__ import annotations

import copy
import json
import warnings
from pathlib import Path
from typing import Any

import torch
from torch import nn

from morelib.models import hf_encoder_rm
from morelib.models.loading import quiet_transformers
from morelib.models.lora import is_lora
from morelib.models.portable_tokenizer import save_portable_tokenizer
from morelib.models.reward_model import RewardModel, unwrap_backbone

hf_encoder_rm.register()

LAYOUT_FILE = "morelib_reward_model.json"
HEAD_FILE = "head.safetensors"
ADAPTER_DIR = "adapter"
#: The pooling rule, stored as ``morelib_pooling`` in saved configs.
POOLING = "last_real_token"


@quiet_transformers()
def save_reward_model(model: RewardModel, tokenizer: Any, path: str | Path,
                      merge: bool = False, max_length: int = 512) -> Path:
    """Save ``model`` and ``tokenizer`` into the folder ``path`` (created); returns it.

    Args:
        model: a :class:`RewardModel`, with or without LoRA adapters.
        tokenizer: its tokenizer (pad token = the model's ``pad_token_id``).
        merge: for a LoRA RM, write the merged full model in the standard layout instead of
            adapter + head (the model passed in is left unchanged).
        max_length: the RM's training max length: recorded, and the saved tokenizer's
            ``model_max_length`` (left truncation).

    Example:
        >>> import tempfile
        >>> from morelib.models import RewardModel, apply_lora, load_tokenizer
        >>> rm = apply_lora(RewardModel.from_name("tiny-bert", seed=0))
        >>> folder = save_reward_model(rm, load_tokenizer("tiny-bert"), tempfile.mkdtemp())
        >>> sorted(p.name for p in folder.iterdir() if "token" not in p.name)
        ['adapter', 'head.safetensors', 'morelib_reward_model.json']
    """
    path = Path(path)
    if tokenizer.pad_token_id != model.pad_token_id:
        raise ValueError(f"tokenizer pad id {tokenizer.pad_token_id} differs from the model's "
                         f"{model.pad_token_id}: save the tokenizer the model was built with")
    rows = unwrap_backbone(model.backbone).get_input_embeddings().weight.shape[0]
    if len(tokenizer) > rows:
        raise ValueError(f"the tokenizer has more tokens ({len(tokenizer)}) than the model's "
                         f"embeddings ({rows}): save the tokenizer the model was built with")
    path.mkdir(parents=True, exist_ok=True)
    info = {"format": "full", "pooling": POOLING, "pad_token_id": model.pad_token_id,
            "base_model": _portable_name(model.name), "base_origin": getattr(model, "origin", None),
            "max_length": max_length}
    if is_lora(model) and not merge:
        from safetensors.torch import save_file

        if model.name is None:
            raise ValueError("a LoRA RM saves its base model by name, but this one has none: "
                             "build it with RewardModel.from_name, or save with merge=True")
        info["format"] = "lora"
        model.backbone.save_pretrained(path / ADAPTER_DIR)
        save_file({"weight": model.head.weight.detach().cpu().contiguous()}, path / HEAD_FILE)
    else:
        backbone = unwrap_backbone(model.backbone)
        if is_lora(model):
            backbone = copy.deepcopy(model.backbone).merge_and_unload()
        info["format"] = _save_full(backbone, model.head.weight, model.pad_token_id, path)
    save_portable_tokenizer(tokenizer, path, max_length)
    (path / LAYOUT_FILE).write_text(json.dumps(info, indent=2) + "\n")
    return path


@quiet_transformers()
def load_reward_model(path: str | Path, dtype: torch.dtype | str | None = None,
                      trust_remote_code: bool = False) -> RewardModel:
    """Load an RM saved by :func:`save_reward_model` (full or LoRA), or a decoder RM saved by
    HF's ``*ForSequenceClassification`` elsewhere. The tokenizer: ``load_tokenizer(path)``.

    Args:
        path: the saved folder.
        dtype: ``None`` gives float32; ``"auto"`` the saved dtype.
        trust_remote_code: allow custom code named by the folder's config (off by default).

    Example:
        >>> import tempfile
        >>> from morelib.models import RewardModel, load_tokenizer
        >>> rm = RewardModel.from_name("tiny-gpt-neox", seed=0)
        >>> folder = save_reward_model(rm, load_tokenizer("tiny-gpt-neox"), tempfile.mkdtemp())
        >>> again = load_reward_model(folder)
        >>> torch.equal(again.head.weight, rm.head.weight), again.pad_token_id
        (True, 0)
    """
    path = Path(path)
    layout = path / LAYOUT_FILE
    info = json.loads(layout.read_text()) if layout.is_file() else {"format": "full"}
    if info["format"] == "lora":
        return _load_lora(path, info, dtype, trust_remote_code)
    if not (path / "config.json").is_file():
        raise FileNotFoundError(f"{path} holds no saved reward model (no {LAYOUT_FILE} or "
                                f"config.json){saved_model_hint(path)}")
    return _load_full(path, torch.float32 if dtype is None else dtype, trust_remote_code)


def saved_model_hint(path: str | Path) -> str:
    """``"; did you mean ...?"`` naming a saved RM folder one level off ``path`` (a training
    run's ``model/`` below it, its newest ``checkpoint-N/``, or the folder above), else ``""``.

    Example:
        >>> import tempfile, pathlib
        >>> run = pathlib.Path(tempfile.mkdtemp())
        >>> (run / "model").mkdir(); _ = (run / "model" / "config.json").write_text("{}")
        >>> saved_model_hint(run) == f"; did you mean {run / 'model'}?"
        True
    """
    path = Path(path)
    candidates = [path / "model"]
    if path.is_dir():
        checkpoints = sorted(path.glob("checkpoint-*"),
                             key=lambda p: int(p.name.split("-")[-1]) if p.name.split("-")[-1]
                             .isdigit() else -1)
        candidates += checkpoints[::-1]
    candidates += [path.parent, path.parent / "model"]
    for candidate in candidates:
        if candidate != path and ((candidate / LAYOUT_FILE).is_file()
                                  or (candidate / "config.json").is_file()):
            return f"; did you mean {candidate}?"
    return ""


def trained_max_length(path: str | Path) -> int | None:
    """The max length a saved RM was trained with: from ``morelib_reward_model.json``, else
    from ``training_config.json`` beside the folder (a training run's layout, also for RMs
    saved before the length was recorded); ``None`` if neither says.

    Example:
        >>> import tempfile
        >>> from morelib.models import RewardModel, load_tokenizer
        >>> rm, tok = RewardModel.from_name("tiny-bert", seed=0), load_tokenizer("tiny-bert")
        >>> trained_max_length(save_reward_model(rm, tok, tempfile.mkdtemp(), max_length=128))
        128
    """
    path = Path(path)
    for candidate, key in ((path / LAYOUT_FILE, "max_length"),
                           (path.parent / "training_config.json", "max_length")):
        if candidate.is_file():
            value = json.loads(candidate.read_text()).get(key)
            if value is not None:
                return int(value)
    return None


# ---- the HF sequence-classification layout ---------------------------------------------------
def hf_head_names(shell: nn.Module) -> tuple[str, str | None]:
    """Names of the scalar head's weight and bias (or ``None``) in an HF ``*ForSequence-
    Classification`` model, e.g. ``("score.weight", None)`` for Llama.

    Example:
        >>> from morelib.models.tiny import tiny_config
        >>> config = tiny_config("tiny-bert", vocab_size=10)
        >>> config.num_labels = 1
        >>> hf_head_names(_seq_cls_shell(config))
        ('classifier.weight', 'classifier.bias')
    """
    prefix = shell.base_model_prefix + "."
    rest = {n: p for n, p in shell.named_parameters() if not n.startswith(prefix)}
    weights = [n for n, p in rest.items() if p.dim() == 2 and p.shape[0] == 1]
    biases = [n for n, p in rest.items() if p.dim() == 1 and p.shape[0] == 1]
    if len(weights) != 1 or len(biases) > 1 or len(rest) != len(weights) + len(biases):
        raise NotImplementedError(
            f"{type(shell).__name__}'s head is not a single linear layer ({sorted(rest)}); "
            "morelib cannot map its reward head onto it")
    return weights[0], biases[0] if biases else None


def _seq_cls_shell(config: Any, trust_remote_code: bool = False) -> nn.Module:
    """An HF ``*ForSequenceClassification`` for ``config`` on the meta device (no memory)."""
    from transformers import AutoModelForSequenceClassification

    with torch.device("meta"):
        return AutoModelForSequenceClassification.from_config(
            config, trust_remote_code=trust_remote_code)


def hf_pools_last_token(shell: nn.Module) -> bool:
    """Whether an HF ``*ForSequenceClassification`` scores the last non-pad token (decoders:
    Llama, GPT-NeoX, Mistral, ...) rather than a pooled ``[CLS]`` (BERT-style encoders).

    Example:
        >>> from morelib.models.tiny import tiny_config
        >>> [hf_pools_last_token(_seq_cls_shell(tiny_config(n, vocab_size=10)))
        ...  for n in ("tiny-llama", "tiny-bert")]
        [True, False]
    """
    import inspect

    from transformers.modeling_layers import GenericForSequenceClassification

    if isinstance(shell, GenericForSequenceClassification):
        return True
    return "last_non_pad_token" in inspect.getsource(type(shell).forward)


def _save_full(backbone: nn.Module, head_weight: torch.Tensor, pad_token_id: int,
               path: Path) -> str:
    """Write the standard layout (returns ``"full"``) or, for encoders, the morelib encoder
    layout (``"encoder"``)."""
    config = copy.deepcopy(backbone.config)
    config.num_labels = 1
    config.pad_token_id = pad_token_id
    config.get_text_config().pad_token_id = pad_token_id
    config.morelib_pooling = POOLING
    shell = _seq_cls_shell(config)
    if not hf_pools_last_token(shell):
        _save_encoder(backbone, head_weight, pad_token_id, path)
        return "encoder"
    weight_name, bias_name = hf_head_names(shell)
    setattr(shell, shell.base_model_prefix, backbone)
    _set_parameter(shell, weight_name, head_weight.detach().clone())
    if bias_name is not None:
        _set_parameter(shell, bias_name, torch.zeros(1, dtype=head_weight.dtype))
    shell.save_pretrained(path)
    return "full"


def _save_encoder(backbone: nn.Module, head_weight: torch.Tensor, pad_token_id: int,
                  path: Path) -> None:
    import shutil

    backbone_config = backbone.config.to_dict()
    backbone_config["pad_token_id"] = pad_token_id
    config = hf_encoder_rm.MorelibEncoderRMConfig(
        backbone_config, POOLING, pad_token_id=pad_token_id,
        architectures=[hf_encoder_rm.MorelibEncoderRewardModel.__name__])
    module = Path(hf_encoder_rm.MODULE_FILE).stem
    config.auto_map = {
        "AutoConfig": f"{module}.{hf_encoder_rm.MorelibEncoderRMConfig.__name__}",
        "AutoModelForSequenceClassification":
            f"{module}.{hf_encoder_rm.MorelibEncoderRewardModel.__name__}"}
    with torch.device("meta"):
        shell = hf_encoder_rm.MorelibEncoderRewardModel(config)
    shell.backbone = backbone
    shell.score.weight = nn.Parameter(head_weight.detach().clone().reshape(1, -1))
    shell.save_pretrained(path)
    shutil.copyfile(hf_encoder_rm.__file__, path / hf_encoder_rm.MODULE_FILE)


def _load_full(path: Path, dtype: Any, trust_remote_code: bool) -> RewardModel:
    from transformers import AutoConfig, AutoModel

    config = AutoConfig.from_pretrained(path, trust_remote_code=trust_remote_code)
    if config.model_type == hf_encoder_rm.MODEL_TYPE:
        return _load_encoder(path, dtype)
    weight_name, bias_name = hf_head_names(_seq_cls_shell(config, trust_remote_code))
    backbone, report = AutoModel.from_pretrained(
        path, config=config, dtype=dtype, use_safetensors=True,
        trust_remote_code=trust_remote_code, output_loading_info=True)
    missing = [k for k in report["missing_keys"] if not k.startswith("pooler.")]
    if missing:
        raise ValueError(f"{path}: backbone weights missing from the checkpoint: {missing[:5]}")
    if getattr(config, "morelib_pooling", None) is None and getattr(backbone, "pooler", None) is not None:
        raise ValueError(f"{path}: an HF {config.model_type} classifier pools through its "
                         "pooler, not at the last token: morelib cannot reproduce its scores")
    tensors = _read_tensors(path, [n for n in (weight_name, bias_name) if n])
    if bias_name and bool(tensors[bias_name].abs().max() > 0):
        warnings.warn(f"{path}: the head bias {float(tensors[bias_name])} is dropped (a constant "
                      "shift of every reward; reward differences are unchanged)")
    model = RewardModel(backbone, config.get_text_config().pad_token_id, name=str(path), seed=0)
    with torch.no_grad():
        model.head.weight.copy_(tensors[weight_name].reshape(model.head.weight.shape))
    return model.eval()


def _load_encoder(path: Path, dtype: Any) -> RewardModel:
    """An encoder RM from the morelib encoder layout (registered classes: no folder code runs)."""
    hf = hf_encoder_rm.MorelibEncoderRewardModel.from_pretrained(path, dtype=dtype,
                                                                 use_safetensors=True)
    model = RewardModel(hf.backbone, hf.config.pad_token_id, name=str(path), seed=0)
    with torch.no_grad():
        model.head.weight.copy_(hf.score.weight.float().reshape(model.head.weight.shape))
    return model.eval()


def _load_lora(path: Path, info: dict, dtype: Any, trust_remote_code: bool) -> RewardModel:
    from peft import PeftModel
    from safetensors.torch import load_file

    from morelib.models.loading import load_tokenizer

    model = RewardModel.from_name(info["base_model"], tokenizer=load_tokenizer(path), dtype=dtype,
                                  seed=0, trust_remote_code=trust_remote_code)
    if info.get("base_origin") and info["base_origin"] != getattr(model, "origin", None):
        warnings.warn(f"LoRA base {info['base_model']!r} was {info['base_origin']!r} when saved "
                      f"but resolves to {getattr(model, 'origin', None)!r} now: scores may differ")
    if model.pad_token_id != info["pad_token_id"]:
        raise ValueError(f"{path}: pad id {info['pad_token_id']} saved, {model.pad_token_id} now")
    model.backbone = PeftModel.from_pretrained(model.backbone, path / ADAPTER_DIR)
    with torch.no_grad():
        model.head.weight.copy_(load_file(path / HEAD_FILE)["weight"])
    return model.eval()


# ---- helpers ---------------------------------------------------------------------------------
def _set_parameter(module: nn.Module, name: str, value: torch.Tensor) -> None:
    owner, _, attr = name.rpartition(".")
    setattr(module.get_submodule(owner) if owner else module, attr, nn.Parameter(value))


def _read_tensors(path: Path, names: list[str]) -> dict[str, torch.Tensor]:
    from safetensors import safe_open

    index = path / "model.safetensors.index.json"
    weight_map = json.loads(index.read_text())["weight_map"] if index.is_file() else {}
    out = {}
    for name in names:
        with safe_open(path / weight_map.get(name, "model.safetensors"), "pt") as f:
            out[name] = f.get_tensor(name).float()
    return out


def _portable_name(name: str | None) -> str | None:
    """A local folder as an absolute path (a relative one would depend on the working dir)."""
    if name is not None and Path(name).expanduser().is_dir():
        return str(Path(name).expanduser().resolve())
    return name


# ---- the model card (README.md in the Hugging Face hub's format) ----------------------------
CARD_FILE = "README.md"
#: Markers around the card's evaluation section, which ``morelib eval-rm`` replaces.
EVAL_BEGIN, EVAL_END = "<!-- morelib:evaluation -->", "<!-- /morelib:evaluation -->"
#: The scheme settings the card lists (MORE's only where the scheme is MORE).
CARD_SETTINGS = {"more": ("alpha", "normalize", "ema_init"), "all": (
    "learning_rate", "max_steps", "num_train_epochs", "groups_per_device_batch",
    "gradient_accumulation_steps", "max_length", "lora_r", "seed")}


def write_model_card(folder: str | Path, config: dict, sources: list[tuple[str, int, str]],
                     datasets: list[str] = (), lambda_history: Any = None,
                     table: Any = None) -> Path:
    """Write ``folder/README.md``: a hub model card for a trained RM (front matter: library,
    licence placeholder, base model, datasets, tags) with its training data (``sources``:
    (name, pairs after balancing, how balanced or "")), scheme settings (``config``:
    ``training_config.json``),
    MORE's λ per source over training (``lambda_history``: its ``lambda/<source>`` columns),
    the evaluation (``table``: :func:`morelib.evaluation.metrics_table`'s) and how to score.
    """
    from huggingface_hub import ModelCard, ModelCardData

    strategy = config["strategy"]
    base = config["model"]
    data = ModelCardData(
        library_name="transformers", license="other", datasets=list(datasets) or None,
        base_model=None if Path(base).expanduser().exists() else base,
        tags=["reward-model", "morelib", strategy], pipeline_tag="text-classification")
    settings = [k for k in CARD_SETTINGS["all"] + CARD_SETTINGS.get(strategy, ())
                if config.get(k) is not None]
    lines = ["# Reward model: " + {"more": "MORE", "mean": "MultiTask"}.get(strategy, strategy),
             "", f"A scalar reward model fine-tuned from `{base}` with "
             "morelib (*On Diversified Preferences of LLM Alignment*). "
             "Licence: set `license` above to the one of the base model and data.",
             "", "## Training data", "",
             f"{len(sources)} sources, balanced to one size before training:", "",
             "| source | pairs | balancing |", "| --- | ---: | --- |",
             *(f"| {n} | {k} | {rule or '–'} |" for n, k, rule in sources),
             "", f"## Scheme: `{strategy}`", "",
             *(f"- `{k}`: {config[k]}" for k in settings)]
    lambdas = _lambda_summary(lambda_history) if strategy == "more" else None
    if lambdas:
        lines += ["", "### λ per source over training (MORE)", "",
                  "| source | mean λ | min | max |", "| --- | ---: | ---: | ---: |",
                  *(f"| {n} | {m:.4f} | {lo:.4f} | {hi:.4f} |" for n, (m, lo, hi)
                    in lambdas.items())]
    lines += ["", EVAL_BEGIN, *_evaluation_lines(table), EVAL_END, "", *_usage_lines()]
    card = ModelCard(f"---\n{data.to_yaml()}\n---\n\n" + "\n".join(lines) + "\n")
    path = Path(folder) / CARD_FILE
    card.save(path)
    return path


def refresh_model_card(folder: str | Path, table: Any) -> bool:
    """Replace the evaluation section of ``folder``'s card with ``table``'s (False when the
    folder has no morelib card)."""
    path = Path(folder) / CARD_FILE
    text = path.read_text() if path.is_file() else ""
    if EVAL_BEGIN not in text or EVAL_END not in text:
        return False
    head, rest = text.split(EVAL_BEGIN, 1)
    tail = rest.split(EVAL_END, 1)[1]
    path.write_text("\n".join([head + EVAL_BEGIN, *_evaluation_lines(table), EVAL_END]) + tail)
    return True


def _lambda_summary(history: Any) -> dict[str, tuple[float, float, float]]:
    """Mean, min and max of every ``lambda/<source>`` column of a λ history."""
    if history is None or len(history) == 0:
        return {}
    return {c.split("/", 1)[1]: (float(history[c].mean()), float(history[c].min()),
                                 float(history[c].max()))
            for c in history.columns if c.startswith("lambda/")}


def _evaluation_lines(table: Any) -> list[str]:
    """The card's evaluation section: per test set, accuracy and ECE with their 95 % intervals
    and the ECE noise floor where the table has them."""
    if table is None or len(table) == 0:
        return ["## Evaluation", "", "Not evaluated: `morelib eval-rm FOLDER DATA...` fills "
                "this section."]
    wide = table.pivot_table(index="source", columns="metric", values="value", sort=False)

    def cell(row, metric):
        value = row.get(metric)
        if value is None or value != value:
            return "–"
        low, high = row.get(f"{metric}_low"), row.get(f"{metric}_high")
        interval = f" [{low:.4f}, {high:.4f}]" if low is not None and low == low else ""
        return f"{value:.4f}{interval}"

    lines = ["## Evaluation", "",
             "Held-out pairs; accuracy counts ties as half; ECE is the paper's (10 bins, both "
             "orders of a pair); brackets: 95 % intervals (Wilson; pair bootstrap); the noise "
             "floor is the mean ECE a perfectly calibrated RM would score on these margins.", "",
             "| test set | pairs | accuracy | ECE | ECE noise floor |",
             "| --- | ---: | ---: | ---: | ---: |"]
    for source, row in wide.iterrows():
        row = row.dropna().to_dict()
        pairs = f"{int(row['n_pairs'])}" if "n_pairs" in row else "–"
        floor = f"{row['ece_noise_floor']:.4f}" if "ece_noise_floor" in row else "–"
        lines.append(f"| {source} | {pairs} | {cell(row, 'accuracy')} | {cell(row, 'ece')} "
                     f"| {floor} |")
    return lines


def _usage_lines() -> list[str]:
    return ["## How to load and score", "", "Plain transformers (the tokenizer adds the BOS/EOS "
            "the RM was trained with; encoder RMs also need `trust_remote_code=True`):", "",
            "```python", "import torch",
            "from transformers import AutoModelForSequenceClassification, AutoTokenizer", "",
            'path = "path/or/hub-id/of/this/model"',
            "tokenizer = AutoTokenizer.from_pretrained(path)",
            "model = AutoModelForSequenceClassification.from_pretrained(path).eval()",
            "with torch.no_grad():",
            '    batch = tokenizer(["\\n\\nHuman: Hi\\n\\nAssistant: Hello."], '
            'return_tensors="pt", truncation=True)',
            "    reward = model(**batch).logits[:, 0]  # one scalar per text", "```", "",
            "As a reward function in TRL's online trainers (scores exactly as morelib "
            "evaluates):", "", "```python", "from morelib.trl_reward import reward_function",
            "from trl import GRPOTrainer", "",
            'trainer = GRPOTrainer(model=policy, reward_funcs=[reward_function(path)], ...)',
            "```"]
