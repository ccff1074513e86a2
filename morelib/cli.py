"""The ``morelib`` command line.

Subcommands are thin wrappers over library functions; each lives in the module that owns the
work and is imported only when called, so ``morelib --help`` stays fast.

Example:
    $ morelib data summary Anthropic/hh-rlhf:harmless-base path/to/webgpt.test.json.gz
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_data_options(parser: argparse.ArgumentParser, default: Any = None) -> None:
    """``--columns`` and ``--separator``, for every command that loads sources."""
    parser.add_argument("--columns", default=default,
                        help="column map for generic tables, hub ids and Datasets: "
                             "prompt=question,chosen=good,rejected=bad[,source=annotator]")
    parser.add_argument("--separator", default=default,
                        help="joins prompt and reply in generic tables (default: a newline "
                             "only where they would be glued; '' for plain concatenation)")


def add_setup_arguments(parser: Any) -> None:
    """The options of ``morelib setup`` / ``python -m morelib.suite_setup``."""
    from morelib.profiles import TRAINING_NOTEBOOKS

    parser.add_argument("--profile", required=True)
    parser.add_argument("--notebooks", nargs="+", default=list(TRAINING_NOTEBOOKS),
                        help="notebooks whose RMs to train (stems or numbers: 03 04 05)")
    parser.add_argument("--dry-run", action="store_true",
                        help="resolve every model and dataset, print the plan (RMs, steps, "
                             "memory per GPU against the visible GPUs, expected time), train "
                             "nothing")
    parser.add_argument("--sharded", action="store_true",
                        help="estimate memory as FSDP / ZeRO-3 shard it (detected under such a "
                             "launch; give it for a dry run outside the launcher)")


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser; ``train``'s many options are added only when ``argv`` runs ``train`` (they
    import the training config, and ``morelib --help`` stays fast)."""
    parser = argparse.ArgumentParser(prog="morelib", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    data = commands.add_parser("data", help="inspect preference sources")
    data_commands = data.add_subparsers(dest="data_command", required=True)
    summary = data_commands.add_parser(
        "summary", help="load sources and print pairs kept and records dropped by reason")
    summary.add_argument("sources", nargs="+", metavar="SOURCE",
                         help="hub name (e.g. Anthropic/hh-rlhf:helpful-base), local file, "
                              "or 'simulator[:N]'")
    add_data_options(summary)
    summary.set_defaults(handler="morelib.data.summary_cli:main")

    eval_rm = commands.add_parser(
        "eval-rm", help="score preference data with a saved RM; print accuracy and calibration")
    eval_rm.add_argument("model", metavar="MODEL", help="folder written by save_reward_model")
    eval_rm.add_argument("data", nargs="+", metavar="DATA",
                         help="sources as for 'morelib data summary'")
    eval_rm.add_argument("--batch-size", type=int, default=16)
    eval_rm.add_argument("--max-length", type=int, default=None,
                         help="tokens per text (default: the RM's training max length, else 512)")
    eval_rm.add_argument("--quiet", action="store_true", help="no progress bar")
    eval_rm.add_argument("--limit", type=int, default=None, help="first N pairs of each source")
    eval_rm.add_argument("--csv", default=None, help="also write the tidy table here")
    eval_rm.add_argument("--keep-card", action="store_true",
                         help="leave the evaluation section of MODEL's README.md model card")
    add_data_options(eval_rm)
    eval_rm.set_defaults(handler="morelib.eval_cli:main")

    train = commands.add_parser(
        "train", help="train an RM (MORE, MultiTask, ...) on your own preference data",
        description="Train a reward model on one or more preference sources; see "
                    "morelib.train_cli. Example: morelib train a.jsonl b.jsonl --model M "
                    "--strategy more --output-dir runs/more")
    if argv and argv[0] == "train":
        from morelib.train_cli import add_train_arguments

        add_train_arguments(train)
    train.set_defaults(handler="morelib.train_cli:main")

    reproduce = commands.add_parser(
        "reproduce", help="run the numbered notebooks for a profile into outputs/<profile>/")
    reproduce.add_argument("--profile", default="default")
    reproduce.add_argument("--output-root", default="outputs")
    reproduce.add_argument("--notebooks", nargs="+", default=None, metavar="PREFIX",
                           help="run only the notebooks whose names start with these (e.g. 02 04)")
    reproduce.set_defaults(handler="morelib.reproduce:main")

    setup = commands.add_parser(
        "setup", help="train every RM and RJS policy a profile's notebooks use into the "
                      "cache (or --dry-run: the plan, memory and time); multi-GPU: "
                      "accelerate launch -m morelib.suite_setup")
    add_setup_arguments(setup)
    setup.set_defaults(handler="morelib.suite_setup:setup")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    module_name, func_name = args.handler.split(":")
    import importlib

    handler = getattr(importlib.import_module(module_name), func_name)
    return int(handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
