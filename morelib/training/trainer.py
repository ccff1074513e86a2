"""``RewardTrainer``: ``transformers.Trainer`` with per-source Bradley–Terry losses and a weighting.

Each step: one forward pass scores chosen and rejected rows; per-pair losses are
``softplus(-(r_chosen - r_rejected))``; per-source head gradients are computed in closed form on
the detached pooled features (:func:`morelib.weighting.head_gradients`); the weighting strategy
turns them into λ (MORE's min-norm point, uniform, proportional or the plain batch mean); the
loss is ``Σ_i λ_i · mean loss of source i`` with λ held constant. Everything else (distributed
runs, mixed precision, gradient accumulation, checkpoints, schedulers) is the stock Trainer.

What it adds to the Trainer:

* a per-micro-step history of λ, per-source losses, head-gradient norms and pairwise cosines
  (``lambda_history``: the weighting's ``last_diagnostics`` named by source, keys as in
  :mod:`morelib.weighting.diagnostics`), averaged into the regular logs at every logging step;
* the weighting's state (MORE's EMA buffers) and that history saved in every checkpoint and
  restored on resume, so a resumed run continues exactly;
* a non-finite loss stops the run with an error naming the step and the per-source losses;
* ``evaluate`` scores each evaluation source separately and logs every calibration metric as
  ``eval/<source>/<metric>`` (plus ``eval/pooled/<metric>``), names that cannot collide.

Data-parallel runs (``torchrun``, ``accelerate launch``: DDP, FSDP, DeepSpeed): each rank's
micro-batch is its share of the global batch (the Trainer's sampler is sharded by accelerate).
The per-source statistics are all-reduced once per micro-step (K·(h+2) numbers), here and
nowhere else (the weightings never communicate), so λ and the history rows are global and
identical on every rank, and each rank's loss is scaled with the
global per-source counts (:func:`morelib.weighting.weighted_loss`), so the averaged gradient is
the single-process gradient over the global batch. A head sharded by FSDP or ZeRO-3 is handled
by deriving the head gradients from the margins. ``tests/test_training_distributed.py`` checks
two gloo ranks against one process step by step.
"""

from __future__ import annotations

import json
import math
import os
from typing import Any, Mapping, Sequence

import torch
import torch.nn.functional as F
from transformers import Trainer
from transformers.trainer import DEFAULT_PROGRESS_CALLBACK
from transformers.trainer_callback import PrinterCallback, ProgressCallback

from morelib.evaluation import progress_bar
from morelib.weighting import (
    all_reduce_source_stats,
    data_parallel_world_size,
    head_gradients,
    weighted_loss,
)

WEIGHTING_STATE = "weighting_state.pt"
HISTORY_FILE = "lambda_history.jsonl"


class NonFiniteLossError(FloatingPointError):
    """Raised when the training loss, the rewards or the head gradients are NaN or infinite;
    the message names the step and the likely cause (:func:`non_finite_cause`)."""


class DeadRewardModelWarning(UserWarning):
    """A trained RM whose training loss never left ln 2 (:func:`dead_rm_warning`)."""


#: the Bradley-Terry loss of a margin of 0: an RM that scores every pair alike stays here
DEAD_LOSS = math.log(2)
#: a run whose every per-step training loss is within this of ln 2 is reported as dead
DEAD_TOLERANCE = 1e-4


def non_finite_cause(model: torch.nn.Module, rewards: torch.Tensor) -> str:
    """The likely cause of a non-finite state, for :class:`NonFiniteLossError`.

    Example:
        >>> head = torch.nn.Linear(2, 1)
        >>> non_finite_cause(head, torch.tensor([float("nan")]))
        'the forward pass overflowed with finite weights (half precision? an extreme input?): train in fp32 or check the data'
        >>> with torch.no_grad():
        ...     _ = head.weight.fill_(float("inf"))
        >>> non_finite_cause(head, torch.tensor([1.0]))
        "the model's weights are no longer finite ('weight'): training diverged; lower the learning rate"
    """
    for name, param in model.named_parameters():
        if not bool(torch.isfinite(param.detach()).all()):
            return (f"the model's weights are no longer finite ({name!r}): training diverged; "
                    "lower the learning rate")
    if not bool(torch.isfinite(rewards.detach()).all()):
        return ("the forward pass overflowed with finite weights (half precision? an extreme "
                "input?): train in fp32 or check the data")
    return "the loss overflowed with finite rewards: lower the learning rate or check the data"


def dead_rm_warning(step_losses: Sequence[float]) -> str | None:
    """A warning text when every per-step training loss is ln 2 (the RM gives every pair a
    margin of 0: a dead head, a zero learning rate, everything frozen), else ``None``.

    Example:
        >>> print(dead_rm_warning([0.69315, 0.69314, 0.69315]))
        the training loss stayed at ln 2 = 0.6931 for all 3 steps: the RM scores chosen and rejected alike (dead head? learning rate 0? every layer frozen?)
        >>> dead_rm_warning([0.69, 0.65, 0.61]) is None
        True
    """
    values = [float(v) for v in step_losses if v is not None and math.isfinite(float(v))]
    if len(values) < 2 or any(abs(v - DEAD_LOSS) > DEAD_TOLERANCE for v in values):
        return None
    return (f"the training loss stayed at ln 2 = {DEAD_LOSS:.4f} for all {len(values)} steps: "
            "the RM scores chosen and rejected alike (dead head? learning rate 0? every layer "
            "frozen?)")


class TrainingBar(ProgressCallback):
    """The Trainer's progress bar (``tqdm.auto``: a widget in notebooks, text on stderr in a
    terminal; steps, rate and ETA) labelled with the run's name, the latest loss as its postfix
    instead of a printed line per log."""

    def __init__(self, label: str):
        super().__init__()
        self.label = label

    def on_train_begin(self, args, state, control, **kwargs):
        if state.is_world_process_zero:
            self.training_bar = progress_bar(total=state.max_steps, desc=self.label, dynamic_ncols=True)
        self.current_step = 0

    def on_log(self, args, state, control, logs=None, **kwargs):
        if self.training_bar is not None and "loss" in (logs or {}):
            self.training_bar.set_postfix(loss=f"{logs['loss']:.4g}", refresh=False)


class RewardTrainer(Trainer):
    """Train a :class:`morelib.models.RewardModel` on pairs tagged with ``source_index``.

    Args (beyond ``Trainer``'s):
        weighting: a strategy from :func:`morelib.weighting.make_weighting`.
        source_names: names of the K training sources, in ``source_index`` order.
        eval_sources: optional ``{name: list[PreferencePair]}`` evaluated by :meth:`evaluate`.
        eval_batch_size, max_length: scoring settings for evaluation.
        label: the name on the progress bar (:class:`TrainingBar`; shown unless
            ``args.disable_tqdm``).
    """

    # compute_loss returns a per-batch mean: let the Trainer divide by the accumulation steps.
    loss_is_scaled_for_ga = False

    def __init__(self, *args: Any, weighting: Any, source_names: Sequence[str],
                 eval_sources: Mapping[str, Sequence[Any]] | None = None,
                 eval_batch_size: int = 16, max_length: int = 512, label: str = "training",
                 **kwargs: Any):
        super().__init__(*args, **kwargs)
        if self.args.disable_tqdm:  # quiet runs: the λ history and eval tables hold the logs
            self.remove_callback(PrinterCallback)
        else:
            self.remove_callback(DEFAULT_PROGRESS_CALLBACK)
            self.add_callback(TrainingBar(label))
        self.weighting = weighting
        self.source_names = list(source_names)
        self.eval_sources = dict(eval_sources or {})
        self.eval_batch_size = eval_batch_size
        self.max_length = max_length
        self.lambda_history: list[dict[str, Any]] = []
        self._unlogged: list[dict[str, Any]] = []
        self.eval_history: list[dict[str, Any]] = []

    # ---- the loss ---------------------------------------------------------------------------
    def _reward_model(self, model: torch.nn.Module) -> torch.nn.Module:
        return self.accelerator.unwrap_model(model)

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        source_index = inputs["source_index"]
        n_pairs = source_index.shape[0]
        output = model(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"])
        rewards, features = output.rewards, output.features
        margins = rewards[:n_pairs] - rewards[n_pairs:]
        per_pair = F.softplus(-margins.float())

        head_weight = _full_head_weight(self._reward_model(model).head.weight,
                                        features.shape[1])
        stats = head_gradients(features[:n_pairs].detach(), features[n_pairs:].detach(),
                               head_weight, source_index, len(self.source_names),
                               margins=None if head_weight is not None else margins.detach())
        if model.training:  # the all-reduce and MORE's EMA advance on training steps only
            # one collective: every rank gets the global batch's per-source means and counts,
            # so λ is the same on all ranks and equal to one process's over the global batch
            stats = all_reduce_source_stats(*stats)
            # before the weighting sees them: MORE's solver would refuse a non-finite Gram
            if not bool(torch.isfinite(stats.losses).all() & torch.isfinite(stats.grads).all()):
                self._raise_non_finite(model, rewards, None, stats)
            lambdas = self.weighting.weights(stats)
            # W · Σ λ_i · (local sum of source i) / N_i: the DDP/FSDP/ZeRO average over the W
            # ranks is the gradient of the global batch's weighted loss
            loss = weighted_loss(per_pair, source_index, lambdas, stats.counts,
                                 scale=data_parallel_world_size())
            finite = torch.isfinite(loss) & torch.isfinite(stats.losses).all()
        else:
            lambdas = stats.counts / stats.counts.sum()
            loss = weighted_loss(per_pair, source_index, lambdas)
            finite = torch.isfinite(loss)
        if not finite:  # global losses in training: every rank stops at the same step
            self._raise_non_finite(model, rewards, loss, stats)
        if model.training:
            self._record()
        return (loss, output) if return_outputs else loss

    def _raise_non_finite(self, model: torch.nn.Module, rewards: torch.Tensor,
                          loss: torch.Tensor | None, stats: Any) -> None:
        losses = {n: float(v) for n, v in zip(self.source_names, stats.losses)}
        what = "head gradients" if loss is None else f"training loss {float(loss.detach())}"
        raise NonFiniteLossError(
            f"non-finite {what} at step {self.state.global_step} "
            f"({self.weighting.__class__.__name__}); per-source losses {losses}; likely cause: "
            f"{non_finite_cause(self._reward_model(model), rewards)}")

    def _record(self) -> None:
        """One history row: what the weighting measured this step
        (:class:`~morelib.weighting.diagnostics.StepDiagnostics`: λ, counts, losses, head-gradient
        norms and cosines, MORE's EMA and solver numbers), named by source."""
        row = {"step": self.state.global_step,
               **self.weighting.last_diagnostics.row(self.source_names)}
        self.lambda_history.append(row)
        self._unlogged.append(row)

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        if "loss" in logs and self._unlogged:
            keys = {k for row in self._unlogged for k in row if k != "step"}
            for key in sorted(keys):
                values = [row[key] for row in self._unlogged if key in row]
                logs[key] = sum(values) / len(values)
            self._unlogged = []
        super().log(logs, start_time)

    # ---- checkpoints: the weighting's state travels with the model -------------------------
    def _save_checkpoint(self, model, trial) -> None:
        super()._save_checkpoint(model, trial)
        if self.args.should_save:
            folder = os.path.join(self._get_output_dir(trial=trial),
                                  f"checkpoint-{self.state.global_step}")
            save_trainer_extras(folder, self.weighting.state_dict(), self.lambda_history)

    def _load_from_checkpoint(self, resume_from_checkpoint: str, model=None) -> None:
        super()._load_from_checkpoint(resume_from_checkpoint, model)
        state, history = load_trainer_extras(resume_from_checkpoint)
        self.weighting.load_state_dict(state)
        self.lambda_history = history

    # ---- evaluation -------------------------------------------------------------------------
    def evaluate(self, eval_dataset=None, ignore_keys=None, metric_key_prefix: str = "eval"):
        from morelib.evaluation import evaluate_sources

        if not self.eval_sources:
            return {}
        model = self._reward_model(self.model)
        table = evaluate_sources(model, self.processing_class, self.eval_sources,
                                 batch_size=self.eval_batch_size, max_length=self.max_length)
        metrics = {f"{metric_key_prefix}/{row.source}/{row.metric}": float(row.value)
                   for row in table.itertuples()}
        self.eval_history.extend({"step": self.state.global_step, "source": row.source,
                                  "metric": row.metric, "value": float(row.value)}
                                 for row in table.itertuples())
        self.log(metrics)
        self.control = self.callback_handler.on_evaluate(self.args, self.state, self.control,
                                                         metrics)
        return metrics


def _full_head_weight(weight: torch.Tensor, hidden: int) -> torch.Tensor | None:
    """The head weight as an ordinary full tensor, detached; ``None`` where it is sharded across
    ranks (an FSDP2 ``DTensor``, an FSDP1 flat-parameter shard, a DeepSpeed ZeRO-3 placeholder),
    in which case the caller derives the head gradients from the model's margins.

    Example:
        >>> _full_head_weight(torch.ones(1, 4), 4).shape, _full_head_weight(torch.ones(0), 4)
        (torch.Size([1, 4]), None)
    """
    if type(weight).__name__ == "DTensor" or weight.numel() != hidden or hasattr(weight, "ds_id"):
        return None
    return weight.detach()


def save_trainer_extras(folder: str, weighting_state: Mapping[str, Any],
                        history: Sequence[Mapping[str, Any]]) -> None:
    """Write the weighting state and λ history into a checkpoint folder.

    Example:
        >>> import tempfile
        >>> d = tempfile.mkdtemp()
        >>> save_trainer_extras(d, {"step": torch.tensor(3)}, [{"step": 0, "lambda/a": 1.0}])
        >>> state, history = load_trainer_extras(d)
        >>> int(state["step"]), history[0]["lambda/a"]
        (3, 1.0)
    """
    from morelib.io import atomic_write_text

    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, WEIGHTING_STATE + ".tmp")
    torch.save(dict(weighting_state), tmp)
    os.replace(tmp, os.path.join(folder, WEIGHTING_STATE))
    atomic_write_text(os.path.join(folder, HISTORY_FILE),
                      "".join(json.dumps(row) + "\n" for row in history))


def load_trainer_extras(folder: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Read what :func:`save_trainer_extras` wrote; a clear error if the checkpoint lacks it."""
    path = os.path.join(folder, WEIGHTING_STATE)
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"{path}: checkpoint has no weighting state (not written by morelib's RewardTrainer?)")
    state = torch.load(path, map_location="cpu", weights_only=True)
    history_path = os.path.join(folder, HISTORY_FILE)
    history = []
    if os.path.exists(history_path):
        with open(history_path) as f:
            history = [json.loads(line) for line in f if line.strip()]
    return state, history
