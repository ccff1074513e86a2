"""Supervised fine-tuning of the policy on (prompt, response) pairs with ``transformers.Trainer``.

RJS (paper Eq. 3) is SFT on the best-of-n winners (:func:`morelib.alignment.best_responses`);
the SFT baseline (Alpaca-SFT) is the same function on the chosen responses of the helpful and
harmless training pairs (:func:`morelib.alignment.chosen_sft_data`). The loss is the stock
causal-LM cross-entropy on answer tokens + EOS only (:mod:`morelib.alignment.sft_data`),
averaged over the answer tokens of each optimiser step (the Trainer's ``num_items_in_batch``);
the authors, at one example per micro-batch, averaged per example first.

:func:`paper_sft_config` holds the paper's settings (lr 1e-6, one epoch, batch 64, cosine with
5 % warm-up, 512 tokens, full fine-tuning, AdamW with weight decay 0 and clipping 1.0). The
authors *asked* for cosine, but DeepSpeed's ``WarmupDecayLR`` overrode it (warm-up then
**linear** decay); ``lr_scheduler_type="linear"`` reproduces what their code ran. The dataclass
defaults are small CPU settings (LoRA r 8, lr 1e-4, batch 8, 256 tokens).

Example:
    >>> cfg = paper_sft_config()
    >>> cfg.learning_rate, cfg.effective_batch_size, cfg.lr_scheduler_type, cfg.warmup_ratio
    (1e-06, 64, 'cosine', 0.05)
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Sequence

import torch

from morelib.alignment.sft_data import SFTCollator, chosen_sft_data, encode_sft_examples


@dataclass
class SFTConfig:
    """Settings of one SFT run (see the module docstring for the paper's)."""

    learning_rate: float = field(default=1e-4, metadata={"help": "AdamW lr (paper 1e-6)"})
    num_train_epochs: float = field(default=1.0, metadata={"help": "epochs (paper 1)"})
    per_device_batch_size: int = field(default=8, metadata={"help": "examples per micro-batch"})
    gradient_accumulation_steps: int = field(default=1, metadata={"help": "micro-batches per step"})
    lr_scheduler_type: str = field(default="cosine", metadata={"help": "Trainer scheduler name"})
    warmup_ratio: float = field(default=0.05, metadata={"help": "warm-up share of the steps"})
    weight_decay: float = field(default=0.0, metadata={"help": "AdamW weight decay (authors 0)"})
    max_grad_norm: float = field(default=1.0, metadata={"help": "gradient clipping (authors 1)"})
    max_length: int = field(default=256, metadata={"help": "tokens per example, end kept (paper 512)"})
    max_steps: int = field(default=-1, metadata={"help": "if > 0, stop after this many steps"})
    seed: int = field(default=42, metadata={"help": "data order, LoRA init, dropout"})
    lora_r: int = field(default=8, metadata={"help": "LoRA rank; 0 = full fine-tuning"})
    lora_alpha: int = field(default=16, metadata={"help": "LoRA scaling"})
    lora_dropout: float = field(default=0.05, metadata={"help": "LoRA dropout"})
    lora_target_modules: tuple[str, ...] | None = field(
        default=None, metadata={"help": "None: peft's defaults for the architecture"})
    gradient_checkpointing: bool = field(default=False, metadata={"help": "save memory"})
    bf16: bool = field(default=False, metadata={"help": "bf16 mixed precision (GPU)"})
    logging_steps: int = field(default=10, metadata={"help": "log every N steps"})

    def __post_init__(self) -> None:
        for name in ("per_device_batch_size", "gradient_accumulation_steps", "max_length"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if not 0 <= self.warmup_ratio < 1:
            raise ValueError(f"warmup_ratio must be in [0, 1), got {self.warmup_ratio}")

    @property
    def effective_batch_size(self) -> int:
        """Examples per optimiser step on one process (× world size when distributed)."""
        return self.per_device_batch_size * self.gradient_accumulation_steps

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def paper_sft_config(per_device_batch_size: int = 8, world_size: int = 1, **overrides: Any
                     ) -> SFTConfig:
    """The paper's SFT / RJS settings; accumulation is chosen so that the batch is 64.

    Example:
        >>> paper_sft_config(per_device_batch_size=1, world_size=8).gradient_accumulation_steps
        8
    """
    per_step = per_device_batch_size * world_size
    if 64 % per_step:
        raise ValueError(f"64 is not a multiple of per_device_batch_size × world_size = {per_step}")
    settings = dict(learning_rate=1e-6, num_train_epochs=1.0,
                    per_device_batch_size=per_device_batch_size,
                    gradient_accumulation_steps=64 // per_step, lr_scheduler_type="cosine",
                    warmup_ratio=0.05, weight_decay=0.0, max_grad_norm=1.0, max_length=512,
                    seed=42, lora_r=0, gradient_checkpointing=True)
    return SFTConfig(**{**settings, **overrides})


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
    """The ``TrainingArguments`` of a config (AdamW, schedule, no checkpoints, no reports).

    Example:
        >>> import tempfile
        >>> args = training_arguments(paper_sft_config(), tempfile.mkdtemp())
        >>> args.learning_rate, args.gradient_accumulation_steps, args.warmup_steps
        (1e-06, 8, 0.05)
    """
    from transformers import TrainingArguments

    from morelib.devices import accelerator_available

    return TrainingArguments(
        output_dir=output_dir,
        per_device_train_batch_size=config.per_device_batch_size,
        gradient_accumulation_steps=config.gradient_accumulation_steps,
        learning_rate=config.learning_rate, weight_decay=config.weight_decay,
        adam_beta1=0.9, adam_beta2=0.999, adam_epsilon=1e-8,
        max_grad_norm=config.max_grad_norm, lr_scheduler_type=config.lr_scheduler_type,
        warmup_steps=config.warmup_ratio, num_train_epochs=config.num_train_epochs,
        max_steps=config.max_steps, seed=config.seed, logging_steps=config.logging_steps,
        save_strategy="no", eval_strategy="no", report_to=[], remove_unused_columns=False,
        bf16=config.bf16, activation_checkpointing=config.gradient_checkpointing,
        activation_checkpointing_kwargs={"use_reentrant": False},
        dataloader_pin_memory=torch.cuda.is_available(), disable_tqdm=True,
        # bf16 without a GPU (a CPU run of a bf16 profile): CPU autocast, which needs use_cpu
        use_cpu=config.bf16 and not accelerator_available())


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


def train_sft_baseline(model: Any, tokenizer: Any, pairs: Sequence[Any],
                       config: SFTConfig | None = None,
                       sources: Sequence[str] | None = ("helpful", "harmless"),
                       output_dir: str | None = None) -> SFTResult:
    """The SFT baseline (the paper's Alpaca-SFT): :func:`train_sft` on the chosen responses of
    the training pairs from ``sources`` (:func:`~morelib.alignment.sft_data.chosen_sft_data`).

    Example:
        >>> from morelib.alignment.policy import load_policy
        >>> from morelib.data.schema import PreferencePair as P
        >>> pairs = [P("\\n\\nHuman: Hi\\n\\nAssistant:", " Hello!", " Go away.", "helpful", "0")]
        >>> result = train_sft_baseline(*load_policy("tiny-llama"), pairs, SFTConfig(max_steps=1))
        >>> result.n_examples
        1
    """
    prompts, responses = chosen_sft_data(pairs, sources)
    return train_sft(model, tokenizer, prompts, responses, config, output_dir)
