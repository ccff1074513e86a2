"""``morelib train DATA... --model M --strategy S --output-dir DIR``: an RM on your own data.

Each DATA is a source spec as for ``morelib data summary`` (a local file in any supported
format, a hub id, ``simulator[:N]``); every source it yields is one of MORE's K sources (a file
with a ``source`` column gives one per value). The training settings are the fields of
:class:`~morelib.training.RMTrainingConfig`, each an option with its field's help and type
(``--learning-rate 5e-4``; booleans as ``--bf16`` / ``--no-bf16``), and may also come from a
YAML file (``--config run.yaml``, keys spelled as the fields or the options, plus ``data``,
``eval``, ``output_dir``, ``columns``, ``separator``); options on the command line win over the
file. Every value is checked by type and range, and the data loaded, before the model is.

``--strategy``: ``more`` (MORE), ``multitask`` (the paper's MultiTask baseline; ``mean`` is the
same), ``uniform``, ``proportional``. Sources are balanced to one size first, as the paper does
(App. C; :func:`morelib.data.mixing.balance`), whatever the strategy, so MORE and MultiTask see
the same pairs: ``--pairs-per-source largest`` (default: smaller sources are topped up with
duplicates, nothing is discarded), ``smallest`` (larger ones keep their first pairs), or a
number; ``--pairs-per-source none`` keeps the sizes (not for ``more``, whose batches hold one
pair of every source). ``--eval DATA...`` are scored during training
(``--eval-steps``) and at the end (the table is printed and written to ``DIR/eval.csv``).

``DIR`` receives ``model/`` (loadable by plain transformers; see :mod:`morelib.models.saving`;
its ``README.md`` is a hub model card: data, scheme, λ, evaluation, how to score),
``training_config.json``, ``trainer_state.json``, ``log_history.jsonl``,
``lambda_history.jsonl`` and ``eval_history.jsonl``. A run killed halfway resumes from its last
checkpoint (``--save-steps``) when started again with the same DIR.

Example:
    $ morelib train annotator_a.jsonl annotator_b.jsonl annotator_c.jsonl \\
          --model EleutherAI/pythia-1.4b --strategy more --output-dir runs/more \\
          --eval test.jsonl --learning-rate 1e-5 --max-length 512
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import typing
from pathlib import Path
from typing import Any

#: Config fields the command sets itself (from the data and the launcher).
DERIVED = ("n_sources", "source_sizes")
#: Keys of a ``--config`` file besides the training fields.
FILE_KEYS = ("data", "eval", "output_dir", "columns", "separator", "pairs_per_source")
#: How sources of different sizes are balanced by default (see :func:`balance_sources`).
DEFAULT_BALANCE = "largest"
#: Defaults of the command that differ from the config's (a person is watching).
COMMAND_DEFAULTS = {"progress": True}


class TrainCommandError(ValueError):
    """A one-line problem with the command's input (option, config file, data)."""


def option_name(field_name: str) -> str:
    """``learning_rate`` -> ``--learning-rate``."""
    return "--" + field_name.replace("_", "-")


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    """The command's arguments: data, output, and one option per training-config field."""
    from morelib.training import RMTrainingConfig
    from morelib.typed_fields import unwrap_optional

    parser.add_argument("data", nargs="*", metavar="DATA",
                        help="training sources: files, hub ids or simulator[:N] (or 'data' in "
                             "--config)")
    parser.add_argument("--output-dir", dest="output_dir", default=argparse.SUPPRESS,
                        help="where the model, histories and logs are written")
    parser.add_argument("--eval", nargs="+", metavar="DATA", default=argparse.SUPPRESS,
                        help="evaluation sources, scored during and after training")
    parser.add_argument("--config", default=None, help="a YAML file of the same settings")
    from morelib.cli import add_data_options

    add_data_options(parser, default=argparse.SUPPRESS)
    parser.add_argument("--pairs-per-source", dest="pairs_per_source", default=argparse.SUPPRESS,
                        help="balance the sources to this size: 'largest' (default: top up "
                             "smaller ones with duplicates), 'smallest', a number, or 'none'")
    hints = typing.get_type_hints(RMTrainingConfig)
    group = parser.add_argument_group("training settings (RMTrainingConfig)")
    for f in dataclasses.fields(RMTrainingConfig):
        if f.name in DERIVED:
            continue
        kwargs: dict[str, Any] = {"dest": f.name, "default": argparse.SUPPRESS,
                                  "help": f.metadata.get("help", "")}
        default = COMMAND_DEFAULTS.get(f.name, f.default)
        if default is not dataclasses.MISSING:
            kwargs["help"] += f" (default: {default!r})"
        base, _ = unwrap_optional(hints[f.name])
        if base is bool:
            kwargs["action"] = argparse.BooleanOptionalAction
        elif typing.get_origin(base) is tuple:
            kwargs.update(nargs="*", type=unwrap_optional(typing.get_args(base)[0])[0])
        else:
            kwargs["type"] = _typed(f.name, base)
        if f.metadata.get("choices"):
            kwargs["choices"] = f.metadata["choices"]
        group.add_argument(option_name(f.name), **kwargs)


def main(args: argparse.Namespace) -> int:
    from morelib.data.schema import DataError
    from morelib.typed_fields import SettingError

    try:
        settings = resolve_settings(vars(args))
        run = prepare(settings)
    except (TrainCommandError, SettingError, DataError, OSError) as err:
        print(f"morelib train: {err}", file=sys.stderr)
        return 2
    return train(*run)


def resolve_settings(given: dict[str, Any]) -> dict[str, Any]:
    """Command defaults < ``--config`` file < command line; keys checked against the fields."""
    settings: dict[str, Any] = dict(COMMAND_DEFAULTS)
    config_file = given.pop("config", None)
    if config_file:
        settings.update(read_config_file(config_file))
    command_line = {k: v for k, v in given.items() if k not in ("command", "handler")
                    and not (k == "data" and not v)}
    settings["_file_keys"] = set(settings.get("_file_keys", ())) - set(command_line)
    settings.update(command_line)
    return settings


def read_config_file(path: str | Path) -> dict[str, Any]:
    """The settings of a ``--config`` YAML file (option spellings accepted).

    Raises:
        TrainCommandError: not a mapping, or a key that is neither a field nor a file key.
    """
    from morelib.training import RMTrainingConfig
    from morelib.yaml_io import load_yaml

    content = load_yaml(path) or {}
    if not isinstance(content, dict):
        raise TrainCommandError(f"{path}: expected a mapping of settings, got "
                                f"{type(content).__name__}")
    fields = {f.name for f in dataclasses.fields(RMTrainingConfig)} - set(DERIVED)
    settings = {}
    for key, value in content.items():
        name = str(key).lstrip("-").replace("-", "_")
        if name not in fields and name not in FILE_KEYS:
            raise TrainCommandError(f"{path}: {key!r} is not a setting (see morelib train "
                                    "--help)")
        if name in ("data", "eval") and isinstance(value, str):
            value = [value]
        settings[name] = value
    settings["_file"] = str(path)
    settings["_file_keys"] = set(settings) - {"_file"}
    return settings


def prepare(settings: dict[str, Any]):
    """Check every setting and load the data, before any model is built."""
    from morelib.data.summary_cli import load_spec, spec_options
    from morelib.training import RMTrainingConfig
    from morelib.typed_fields import SettingError

    where, from_file = settings.pop("_file", None), settings.pop("_file_keys", set())
    for key in ("model", "output_dir"):
        if not settings.get(key):
            raise TrainCommandError(f"{option_name(key)} is required (or {key!r} in --config)")
    if not settings.get("data"):
        raise TrainCommandError("no training data: give DATA... (or 'data' in --config)")
    load_options = spec_options(settings.get("columns"), settings.get("separator"))
    train_sources = [s for spec in settings["data"] for s in load_spec(spec, **load_options)]
    eval_sources = {s.name: s.pairs for spec in settings.get("eval", [])
                    for s in load_spec(spec, **load_options)}
    names = [s.name for s in train_sources]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise TrainCommandError(f"two training sources are named {duplicates[0]!r}: rename one "
                                "(e.g. a file name or its source column)")
    empty = [s.name for s in train_sources if len(s) == 0]
    if empty:
        raise TrainCommandError(f"training source {empty[0]!r} has no pairs left")
    train_sources = balance_sources(train_sources, settings.get("pairs_per_source",
                                                                DEFAULT_BALANCE),
                                    settings.get("strategy", "mean"), settings.get("seed", 42))
    fields = {f.name for f in dataclasses.fields(RMTrainingConfig)}
    values = {k: v for k, v in settings.items() if k in fields}
    values["n_sources"] = len(train_sources)
    values["source_sizes"] = tuple(len(s) for s in train_sources)
    values.setdefault("world_size", int(os.environ.get("WORLD_SIZE", "1")))
    try:
        config = RMTrainingConfig(**values)
    except SettingError as err:
        place = f"{where}: {err.name}" if err.name in from_file else option_name(err.name)
        raise TrainCommandError(f"{place}: {err.problem}") from None
    return config, train_sources, eval_sources, settings["output_dir"], settings["data"]


def balance_sources(sources: list, rule: Any, strategy: str, seed: int) -> list:
    """Sources resized to one size by ``rule`` (``"largest"``, ``"smallest"``, a number, or
    ``"none"``); see the module notes.

    Example:
        >>> from morelib.data.schema import LoadedSource, PreferencePair
        >>> a = LoadedSource("a", [PreferencePair("q", "c", "r", "a", str(i)) for i in range(3)])
        >>> b = LoadedSource("b", [PreferencePair("q", "c", "r", "b", str(i)) for i in range(5)])
        >>> [len(s) for s in balance_sources([a, b], "largest", "more", 0)]
        [5, 5]
        >>> [len(s) for s in balance_sources([a, b], "smallest", "more", 0)]
        [3, 3]
        >>> balance_sources([a, b], "none", "more", 0)
        Traceback (most recent call last):
        ...
        morelib.train_cli.TrainCommandError: --pairs-per-source none: MORE's batches hold one pair of every source, so its sources need one size (got a=3, b=5)
    """
    from morelib.data.mixing import balance

    sizes = [len(s) for s in sources]
    text = str(rule).lower()
    if text == "none":
        if strategy == "more" and len(set(sizes)) > 1:
            listed = ", ".join(f"{s.name}={len(s)}" for s in sources)
            raise TrainCommandError("--pairs-per-source none: MORE's batches hold one pair of "
                                    f"every source, so its sources need one size (got {listed})")
        return sources
    if text in ("largest", "smallest"):
        n = max(sizes) if text == "largest" else min(sizes)
    elif text.isdigit() and int(text) > 0:
        n = int(text)
    else:
        raise TrainCommandError(f"--pairs-per-source: expected largest, smallest, none or a "
                                f"positive integer, got {rule!r}")
    if all(size == n for size in sizes):
        return sources
    return balance(sources, n, seed=seed)


def hub_datasets(specs: list[str]) -> list[str]:
    """The hub dataset ids among DATA specs (not local files, not the simulator).

    Example:
        >>> hub_datasets(["Anthropic/hh-rlhf:helpful-base", "simulator:8", "a.jsonl"])
        ['Anthropic/hh-rlhf']
    """
    from morelib.data.summary_cli import SIMULATOR

    ids = [s.partition(":")[0] for s in specs
           if not Path(s).expanduser().exists() and s.partition(":")[0] != SIMULATOR]
    return list(dict.fromkeys(i for i in ids if i.count("/") == 1))


def train(config: Any, train_sources: list, eval_sources: dict, output_dir: str,
          data: list[str] = ()) -> int:
    """Train, then print and write the evaluation table and the model card (``data``: the
    DATA specs, whose hub ids the card lists)."""
    from morelib.data.summary_cli import format_table
    from morelib.eval_cli import wide_table
    from morelib.evaluation import evaluate_sources
    from morelib.io import atomic_write_text
    from morelib.models.saving import write_model_card
    from morelib.training import train_reward_model

    print(format_table(train_sources), file=sys.stderr)
    for source in train_sources:
        if getattr(source, "rule", None):
            print(f"morelib train: balanced {source.name}: {source.rule}", file=sys.stderr)
    print(f"morelib train: {config.strategy} RM on {config.model}, {config.n_sources} sources, "
          f"{sum(len(s) for s in train_sources)} pairs -> {output_dir}", file=sys.stderr)
    result = train_reward_model(config, train_sources, output_dir,
                                eval_sources=eval_sources or None)
    model_dir = Path(output_dir) / "model"
    print(f"morelib train: saved {model_dir}", file=sys.stderr)
    if eval_sources:
        table = evaluate_sources(result.model, result.tokenizer, eval_sources,
                                 batch_size=config.eval_batch_size, max_length=config.max_length,
                                 columns={"rm": str(model_dir)}, progress=config.progress,
                                 intervals=True)
        atomic_write_text(Path(output_dir) / "eval.csv", table.to_csv(index=False))
        print(wide_table(table).to_string(float_format="{:.4f}".format))
    sizes = [(s.name, len(s), getattr(s, "rule", "")) for s in train_sources]
    card = write_model_card(model_dir, config.to_dict(), sizes, hub_datasets(list(data)),
                            result.lambda_history, table if eval_sources else None)
    print(f"morelib train: wrote {card}", file=sys.stderr)
    return 0


def _typed(name: str, base: Any):
    """An argparse type whose error says what the option expects."""
    from morelib.typed_fields import describe

    def parse(text: str) -> Any:
        try:
            return base(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {describe(base)}, got {text!r}") from None
    parse.__name__ = getattr(base, "__name__", "value")
    return parse
