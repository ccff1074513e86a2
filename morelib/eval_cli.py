"""``morelib eval-rm MODEL DATA...``: every metric per source and pooled, for a saved RM; the
evaluation section of MODEL's model card (``README.md`` written by ``morelib train``) is replaced
by this one unless ``--keep-card``.

Example:
    $ morelib eval-rm outputs/default/rms/more/model $MORELIB_DATA_DIR/authors-format/helpful.test.json.gz
"""

from __future__ import annotations

import sys
from typing import Any

import pandas as pd

#: Metrics shown in the printed table (the tidy CSV holds all of them).
SHOWN = ("n_pairs", "accuracy", "strict_accuracy", "ties", "ece", "ece_5", "ece_20", "ace",
         "mce", "brier", "nll")


def wide_table(table: pd.DataFrame, metrics=SHOWN) -> pd.DataFrame:
    """Sources as rows, the chosen metrics as columns (from a tidy table)."""
    wide = table.pivot_table(index="source", columns="metric", values="value", sort=False)
    return wide[[m for m in metrics if m in wide.columns]]


def main(args: Any) -> int:
    from morelib.data.schema import DataError
    from morelib.data.summary_cli import load_spec, spec_options
    from morelib.evaluation import evaluate_sources
    from morelib.io import atomic_write_text
    from morelib.models import load_reward_model, load_tokenizer, trained_max_length
    from morelib.models.saving import CARD_FILE, refresh_model_card
    from morelib.models.tokenize import DEFAULT_MAX_LENGTH

    try:
        sources = {}
        options = spec_options(args.columns, args.separator)
        for spec in args.data:
            for src in load_spec(spec, **options):
                sources[src.name] = src.pairs[: args.limit] if args.limit else src.pairs
    except (DataError, OSError) as err:
        print(f"morelib eval-rm: {err}", file=sys.stderr)
        return 2
    try:
        model = load_reward_model(args.model)
    except (FileNotFoundError, ValueError) as err:
        print(f"morelib eval-rm: {err}", file=sys.stderr)
        return 2
    tokenizer = load_tokenizer(args.model)
    trained = trained_max_length(args.model)
    max_length = args.max_length or trained or DEFAULT_MAX_LENGTH
    print(f"morelib eval-rm: {args.model}: max length {max_length}"
          f"{'' if args.max_length else ' (as trained)' if trained else ''}", file=sys.stderr)
    table = evaluate_sources(model, tokenizer, sources, batch_size=args.batch_size,
                             max_length=max_length, columns={"rm": args.model},
                             progress=not args.quiet, intervals=True)
    with pd.option_context("display.width", 160, "display.max_columns", 20,
                           "display.float_format", "{:.4f}".format):
        print(wide_table(table).to_string())
    if args.csv:
        atomic_write_text(args.csv, table.to_csv(index=False))
    if not args.keep_card and refresh_model_card(args.model, table):
        print(f"morelib eval-rm: refreshed the evaluation in {args.model}/{CARD_FILE}",
              file=sys.stderr)
    return 0
