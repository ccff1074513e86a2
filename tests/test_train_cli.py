"""``morelib train``: a user's JSONL files to a saved MORE / MultiTask RM, and its input checks."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from morelib import cli
from morelib.evaluation import score_texts
from morelib.models import load_reward_model, load_tokenizer
from morelib.training import RMTrainingConfig
from morelib.training.optimiser import SCHEDULERS

ANNOTATORS = {
    "annotator_a": [("What is 2+2?", "4", "5"), ("Name a colour.", "Blue.", "Seven."),
                    ("Say hi.", "Hi!", "Go away."), ("Capital of France?", "Paris.", "Rome.")],
    "annotator_b": [("What is 2+2?", "Four.", "4"), ("Name a fruit.", "An apple.", "A car."),
                    ("Say bye.", "Goodbye!", "Hello."), ("Capital of Italy?", "Rome.", "Oslo.")],
}


@pytest.fixture
def files(tmp_path):
    paths = []
    for name, rows in ANNOTATORS.items():
        path = tmp_path / f"{name}.jsonl"
        path.write_text("".join(json.dumps({"prompt": p, "chosen": c, "rejected": r}) + "\n"
                                for p, c, r in rows))
        paths.append(str(path))
    return paths


def _train(args):
    return cli.main(["train", *args])


@pytest.mark.parametrize("strategy, stored", [("more", "more"), ("multitask", "mean")])
def test_trains_and_saves_an_rm_from_jsonl(files, tmp_path, strategy, stored, capsys):
    out = tmp_path / strategy
    assert _train([*files, "--model", "tiny-llama", "--strategy", strategy,
                   "--output-dir", str(out), "--max-steps", "2", "--learning-rate", "1e-3",
                   "--max-length", "64", "--logging-steps", "1", "--eval", files[0]]) == 0
    config = json.loads((out / "training_config.json").read_text())
    assert config["strategy"] == stored and config["n_sources"] == 2
    assert config["source_sizes"] == [4, 4] and config["learning_rate"] == 1e-3
    state = json.loads((out / "trainer_state.json").read_text())
    assert state["global_step"] == 2
    logged = [json.loads(line) for line in (out / "log_history.jsonl").read_text().splitlines()]
    assert any("loss" in row for row in logged)
    assert (out / "model" / "config.json").is_file()
    table = pd.read_csv(out / "eval.csv")
    assert set(table.source) >= {"annotator_a"}
    printed = capsys.readouterr()
    assert "annotator_a" in printed.out and "accuracy" in printed.out
    # the saved RM scores the eval table's pairs as the table says
    rm, tok = load_reward_model(out / "model"), load_tokenizer(str(out / "model"))
    prompts, chosen, rejected = zip(*ANNOTATORS["annotator_a"])
    margins = (score_texts(rm, tok, prompts, chosen, max_length=64)
               - score_texts(rm, tok, prompts, rejected, max_length=64))
    accuracy = table.set_index(["source", "metric"]).value["annotator_a", "accuracy"]
    assert accuracy == pytest.approx(float((margins > 0).mean() + 0.5 * (margins == 0).mean()))


def test_config_file_settings_and_yaml_numbers(files, tmp_path):
    """``5e-4`` in YAML is a number; the command line wins over the file."""
    config = tmp_path / "run.yaml"
    config.write_text(f"model: tiny-bert\nstrategy: more\nlearning-rate: 5e-4\nmax_steps: 1\n"
                      f"max_length: 32\nseed: 3\ndata: {json.dumps(files)}\n"
                      f"output_dir: {tmp_path / 'run'}\n")
    assert _train(["--config", str(config), "--seed", "4"]) == 0
    saved = json.loads((tmp_path / "run" / "training_config.json").read_text())
    assert saved["learning_rate"] == 5e-4 and saved["seed"] == 4 and saved["model"] == "tiny-bert"


@pytest.mark.parametrize("content, message", [
    ("learning_rate: fast\n", "run.yaml: learning_rate: expected a number, got 'fast' (str)"),
    ("alpha: 1.5\n", "run.yaml: alpha: expected <= 1, got 1.5"),
    ("max_steps: 2.5\n", "run.yaml: max_steps: expected an integer, got 2.5 (float)"),
    ("learning_rat: 0.1\n", "run.yaml: 'learning_rat' is not a setting"),
    ("- a\n- b\n", "run.yaml: expected a mapping of settings, got list"),
])
def test_bad_config_file_values_are_one_line_errors_naming_file_and_key(
        files, tmp_path, content, message, capsys):
    config = tmp_path / "run.yaml"
    config.write_text(content)
    args = ["--config", str(config), *files, "--model", "tiny-llama",
            "--output-dir", str(tmp_path / "x")]
    assert _train(args) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
    assert not (tmp_path / "x").exists()  # nothing trained


def test_bad_options_and_data_fail_before_any_model(files, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        _train([*files, "--model", "tiny-llama", "--output-dir", str(tmp_path / "x"),
                "--learning-rate", "fast"])
    assert exit_info.value.code == 2
    assert "--learning-rate: expected a number, got 'fast'" in capsys.readouterr().err
    assert _train([*files, "--model", "tiny-llama", "--output-dir", str(tmp_path / "x"),
                   "--alpha", "0"]) == 2
    assert "--alpha: expected > 0, got 0.0" in capsys.readouterr().err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "Q", "chosen": 3, "rejected": "x"}\n')
    assert _train([files[0], str(bad), "--model", "no/such-model",
                   "--output-dir", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "bad.jsonl" in err and "line 1" in err and "'chosen'" in err
    assert _train([*files, "--output-dir", str(tmp_path / "x")]) == 2
    assert "--model is required" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_every_config_field_is_an_option_with_its_help(capsys):
    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    text = capsys.readouterr().out
    for name in ("--learning-rate", "--strategy", "--alpha", "--normalize", "--lora-r",
                 "--bf16", "--report-to", "--gradient-checkpointing"):
        assert name in text
    assert "EMA weight of the NEW head gradient" in " ".join(text.split())


def test_scheduler_choices_are_transformers_scheduler_types():
    from transformers import SchedulerType

    assert set(SCHEDULERS) == {s.value for s in SchedulerType}


def test_paper_scheme_names_work_in_the_config():
    assert RMTrainingConfig(model="m", strategy="multitask").strategy == "mean"
    with pytest.raises(ValueError, match="strategy: expected one of"):
        RMTrainingConfig(model="m", strategy="MultiTask!")


def test_report_to_and_progress_reach_the_trainer(tmp_path):
    from morelib.training.run import training_arguments

    args = training_arguments(RMTrainingConfig(model="m", report_to=("tensorboard",),
                                               progress=True), str(tmp_path))
    assert args.report_to == ["tensorboard"] and args.disable_tqdm is False
    quiet = training_arguments(RMTrainingConfig(model="m"), str(tmp_path))
    assert quiet.report_to in ([], "none", ["none"]) and quiet.disable_tqdm is True


def test_one_table_with_an_annotator_column_gives_one_source_each(tmp_path):
    """The PandaLM-style workflow: three annotators of one table are MORE's three sources."""
    table = tmp_path / "pandalm.jsonl"
    rows = [{"instruction": f"Task {i}:", "preferred": f"good answer {i}",
             "other": f"bad answer {i}", "annotator": f"annotator_{i % 3}"} for i in range(9)]
    table.write_text("".join(json.dumps(row) + "\n" for row in rows))
    out = tmp_path / "more"
    assert _train([str(table), "--columns",
                   "prompt=instruction,chosen=preferred,rejected=other,source=annotator",
                   "--model", "tiny-llama", "--strategy", "more", "--output-dir", str(out),
                   "--max-steps", "1", "--no-progress"]) == 0
    config = json.loads((out / "training_config.json").read_text())
    assert config["n_sources"] == 3 and config["source_sizes"] == [3, 3, 3]
    lambdas = [json.loads(line) for line in (out / "lambda_history.jsonl").read_text().splitlines()]
    assert {k for k in lambdas[0] if k.startswith("lambda/")} == {
        f"lambda/annotator_{i}" for i in range(3)}


def test_sources_of_different_sizes_are_balanced_before_the_model(files, tmp_path, capsys):
    small = tmp_path / "small.jsonl"
    small.write_text(json.dumps({"prompt": "Q:", "chosen": "yes", "rejected": "no"}) + "\n")
    out = tmp_path / "run"
    assert _train([*files, str(small), "--model", "tiny-llama", "--strategy", "more",
                   "--output-dir", str(out), "--max-steps", "1", "--no-progress"]) == 0
    assert json.loads((out / "training_config.json").read_text())["source_sizes"] == [4, 4, 4]
    assert "balanced small: top up 1 with 3 duplicates" in capsys.readouterr().err
    assert _train([*files, str(small), "--model", "tiny-llama", "--strategy", "more",
                   "--output-dir", str(tmp_path / "x"), "--pairs-per-source", "none"]) == 2
    assert "need one size" in capsys.readouterr().err and not (tmp_path / "x").exists()


def _card_rows(text):
    """{test set: {metric: value}} parsed back from a card's evaluation table."""
    from morelib.models.saving import EVAL_BEGIN, EVAL_END

    section = text.split(EVAL_BEGIN)[1].split(EVAL_END)[0]
    number = r"(-?\d+\.\d+)"
    rows = {}
    for line in section.splitlines():
        m = re.fullmatch(rf"\| (\S+) \| (\d+) \| {number} \[{number}, {number}\] "
                         rf"\| {number} \[{number}, {number}\] \| {number} \|", line)
        if m:
            keys = ("n_pairs", "accuracy", "accuracy_low", "accuracy_high", "ece", "ece_low",
                    "ece_high", "ece_noise_floor")
            rows[m.group(1)] = dict(zip(keys, map(float, m.groups()[1:])))
    return rows


def test_model_card_front_matter_lambda_and_evaluation_and_eval_rm_refresh(files, tmp_path,
                                                                           capsys):
    from huggingface_hub import ModelCard

    out = tmp_path / "more"
    assert _train([*files, "--model", "tiny-llama", "--strategy", "more", "--output-dir",
                   str(out), "--max-steps", "2", "--max-length", "64", "--alpha", "0.9",
                   "--eval", *files]) == 0
    card = ModelCard.load(out / "model" / "README.md")
    assert card.data.library_name == "transformers" and card.data.base_model == "tiny-llama"
    assert set(card.data.tags) == {"reward-model", "morelib", "more"} and card.data.license
    assert "| annotator_b | 4 | – |" in card.text and "`alpha`: 0.9" in card.text
    lambdas = pd.read_json(out / "lambda_history.jsonl", lines=True)
    mean_a = f"| annotator_a | {lambdas['lambda/annotator_a'].mean():.4f} |"
    assert mean_a in card.text and "AutoModelForSequenceClassification" in card.text
    table = pd.read_csv(out / "eval.csv").set_index(["source", "metric"]).value
    rows = _card_rows(card.text)
    assert set(rows) == {"annotator_a", "annotator_b", "pooled"}
    for source, values in rows.items():
        for metric, value in values.items():
            assert value == pytest.approx(table[source, metric], abs=5e-5), (source, metric)
    # eval-rm on other data replaces the evaluation section and leaves the rest
    assert cli.main(["eval-rm", str(out / "model"), "simulator:4", "--quiet"]) == 0
    assert "refreshed the evaluation" in capsys.readouterr().err
    again = (out / "model" / "README.md").read_text()
    assert set(_card_rows(again)) == {"helpful", "harmless", "webgpt", "oasst1", "summarize",
                                      "pooled"}
    assert again.split("<!-- morelib:evaluation -->")[0] == card.content.split(
        "<!-- morelib:evaluation -->")[0]
    assert cli.main(["eval-rm", str(out / "model"), files[0], "--keep-card", "--quiet"]) == 0
    assert (out / "model" / "README.md").read_text() == again
