"""Supervised fine-tuning of the policy on (prompt, response) pairs with ``transformers.Trainer``.

RJS (paper Eq. 3) is SFT on the best-of-n winners (:func:`morelib.alignment.best_responses`);
the SFT baseline (Alpaca-SFT) is the same function on the chosen responses of the helpful and
harmless training pairs (:func:`morelib.alignment.chosen_sft_data`). The loss is the stock
causal-LM cross-entropy on answer tokens + EOS only (:mod:`morelib.alignment.sft_data`),
averaged over the answer tokens of each optimiser step (the Trainer's ``num_items_in_batch``);
the authors, at one example per micro-batch, averaged per example first.

The paper's settings (lr 1e-6, one epoch, batch 64, cosine with 5 % warm-up, 512 tokens, full
fine-tuning, AdamW with weight decay 0 and clipping 1.0) are the ``rjs: sft:`` sections of
``params/paper*.yaml`` (with LoRA r 16 so the 7B policy fits one GPU). The authors *asked* for
cosine, but DeepSpeed's ``WarmupDecayLR`` overrode it (warm-up then **linear** decay);
``lr_scheduler_type="linear"`` reproduces what their code ran. The dataclass defaults are small
CPU settings (LoRA r 8, lr 1e-4, batch 8, 256 tokens).

Example (the paper's batch of 64 on one GPU):
    >>> cfg = SFTConfig(learning_rate=1e-6, per_device_batch_size=8, gradient_accumulation_steps=8)
    >>> cfg.learning_rate, cfg.effective_batch_size, cfg.lr_scheduler_type, cfg.warmup_ratio
    (1e-06, 64, 'cosine', 0.05)
"""

from __future__ import annotations

import tempfile
import time
import warnings
from dataclasses import dataclass
from typing import Any, Sequence

from morelib.alignment.sft_data import SFTCollator, chosen_sft_data, encode_sft_examples
from morelib.training.optimiser import SCHEDULERS, OptimiserConfig
from morelib.typed_fields import setting


@dataclass(kw_only=True)
class SFTConfig(OptimiserConfig):
    """Settings of one SFT run: the optimiser settings of
    :class:`~morelib.training.optimiser.OptimiserConfig` with small CPU defaults (see the module
    docstring for the paper's), plus batch, length and LoRA. Keyword-only."""

    learning_rate: float = setting("AdamW lr (paper 1e-6)", 1e-4, above=0)
    lr_scheduler_type: str = setting("Trainer scheduler name", "cosine", choices=SCHEDULERS)
    warmup_ratio: float = setting("warm-up share of the steps", 0.05, at_least=0, below=1)
    per_device_batch_size: int = setting("examples per micro-batch", 8, at_least=1)
    max_length: int = setting("tokens per example, end kept (paper 512)", 256, at_least=2)
    lora_r: int = setting("LoRA rank; 0 = full fine-tuning", 8, at_least=0)
    lora_alpha: int = setting("LoRA scaling", 16, at_least=1)
    lora_dropout: float = setting("LoRA dropout", 0.05, at_least=0, below=1)
    lora_target_modules: tuple[str, ...] | None = setting(
        "None: peft's defaults for the architecture", None)

    @property
    def effective_batch_size(self) -> int:
        """Examples per optimiser step on one process (× world size when distributed)."""
        return self.per_device_batch_size * self.gradient_accumulation_steps


@dataclass
class SFTResult:
    """The trained policy (peft-wrapped under LoRA) and the run's log."""

    model: Any
    log_history: list[dict[str, Any]]
    n_examples: int
    global_step: int
    train_seconds: float


def apply_policy_lora(model: Any, config: SFTConfig) -> Any:
    """Wrap a causal LM with LoRA adapters (peft, ``CAUSAL_LM``); its base weights freeze.

    Example:
        >>> from morelib.alignment.policy import load_policy
        >>> model = apply_policy_lora(load_policy("tiny-llama")[0], SFTConfig(lora_r=4))
        >>> model.peft_config["default"].r, sorted(model.peft_config["default"].target_modules)
        (4, ['q_proj', 'v_proj'])
    """
    from peft import LoraConfig, get_peft_model

    from morelib.models import default_target_modules

    targets = config.lora_target_modules or default_target_modules(model.config.model_type)
    lora = LoraConfig(r=config.lora_r, lora_alpha=config.lora_alpha,
                      lora_dropout=config.lora_dropout, bias="none", task_type="CAUSAL_LM",
                      target_modules=targets if isinstance(targets, str) else list(targets))
    with warnings.catch_warnings():  # peft 0.21 calls a property transformers 5 deprecates
        warnings.filterwarnings("ignore", ".*is_gradient_checkpointing.*", FutureWarning)
        return get_peft_model(model, lora)


def training_arguments(config: SFTConfig, output_dir: str) -> Any:
    """The ``TrainingArguments`` of a config: the shared optimiser mapping
    (:meth:`~morelib.training.optimiser.OptimiserConfig.trainer_arguments`: AdamW, schedule,
    no checkpoints, no reports) at the config's micro-batch.

    Example:
        >>> import tempfile
        >>> cfg = SFTConfig(learning_rate=1e-6, gradient_accumulation_steps=8)
        >>> args = training_arguments(cfg, tempfile.mkdtemp())
        >>> args.learning_rate, args.gradient_accumulation_steps, args.warmup_steps
        (1e-06, 8, 0.05)
    """
    return config.trainer_arguments(output_dir, config.per_device_batch_size)


def train_sft(model: Any, tokenizer: Any, prompts: Sequence[str], responses: Sequence[str],
              config: SFTConfig | None = None, output_dir: str | None = None) -> SFTResult:
    """Fine-tune ``model`` on (prompt, response) pairs, answer tokens only; see the module
    docstring. With ``config.lora_r > 0`` the model is wrapped with LoRA first (unless it already
    has adapters). Returns the trained model in eval mode; save it with
    :func:`morelib.alignment.policy.save_policy`.

    Args:
        output_dir: the Trainer's working folder (default: a temporary one; nothing is saved).

    Example:
        >>> from morelib.alignment.policy import load_policy
        >>> model, tok = load_policy("tiny-llama")
        >>> cfg = SFTConfig(max_steps=2, per_device_batch_size=2, logging_steps=1)
        >>> result = train_sft(model, tok, ["\\n\\nHuman: Hi\\n\\nAssistant:"] * 4, [" Hello!"] * 4, cfg)
        >>> result.global_step, "loss" in result.log_history[0]
        (2, True)
    """
    from transformers import PrinterCallback, Trainer, set_seed

    config = config or SFTConfig()
    set_seed(config.seed)
    if config.lora_r > 0 and not hasattr(model, "peft_config"):
        model = apply_policy_lora(model, config)
    examples = encode_sft_examples(tokenizer, prompts, responses, config.max_length)
    if not examples:
        raise ValueError("no SFT examples")
    with tempfile.TemporaryDirectory() as tmp:
        trainer = Trainer(model=model, args=training_arguments(config, output_dir or tmp),
                          train_dataset=examples,
                          data_collator=SFTCollator(tokenizer.pad_token_id))
        trainer.remove_callback(PrinterCallback)  # logs stay in log_history, not on stdout
        start = time.perf_counter()
        trainer.train()
        seconds = time.perf_counter() - start
    model.eval()
    return SFTResult(model, list(trainer.state.log_history), len(examples),
                     trainer.state.global_step, seconds)
