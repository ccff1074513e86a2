"""Best-of-n (rejection sampling, paper Eq. 3): sample n responses per prompt, score all of them,
keep **every** candidate with its score, and pick afterwards.

:func:`best_of_n` returns :class:`Candidates`: one row per (prompt, candidate) with columns
``prompt_id, prompt, candidate, text, score, backend`` plus the generation and scoring
``record``. Because nothing is thrown away, the selection rule (:func:`select_best`: max, min,
random, first, or any function of a prompt's scores) can change later without sampling again.
Candidates save atomically as JSONL or Parquet (the record travels in a ``record`` column as
JSON) and convert to a ``datasets.Dataset``. Sampling and scoring are also separate steps
(:func:`sample_candidates`, :func:`score_candidates`), for experiments in which several scorers
judge the same candidates.

The paper's rule is ``"max"`` over S = 4 samples with ties to the first sample (the authors'
``argmax``), then SFT on the winners (:mod:`morelib.alignment.sft`).

Example:
    >>> def generate(prompts, n, max_new_tokens, seed):
    ...     return [[f" answer {k}" for k in range(n)] for _ in prompts]
    >>> def score(prompts, responses):
    ...     return np.array([float(r.endswith("1")) for r in responses])
    >>> cands = best_of_n(["Q1", "Q2"], 3, generate, score, max_new_tokens=8, seed=0)
    >>> len(cands.frame), list(select_best(cands).text)
    (6, [' answer 1', ' answer 1'])
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from morelib.io import atomic_open, atomic_write_text

#: Candidate columns, in order (``record`` is added when saving).
COLUMNS = ("prompt_id", "prompt", "candidate", "text", "score", "backend")
RULES = ("max", "min", "random", "first")


@dataclass
class Candidates:
    """All sampled candidates with their scores (``frame``) and how they were made (``record``)."""

    frame: pd.DataFrame
    record: dict[str, Any] = field(default_factory=dict)

    def to_dataset(self) -> Any:
        """A ``datasets.Dataset`` of the rows, ``record`` as a JSON string column.

        Example:
            >>> c = Candidates(pd.DataFrame({"prompt_id": [0], "prompt": ["Q"], "candidate": [0],
            ...                              "text": [" a"], "score": [1.0], "backend": ["x"]}))
            >>> c.to_dataset().column_names
            ['prompt_id', 'prompt', 'candidate', 'text', 'score', 'backend', 'record']
        """
        from datasets import Dataset

        return Dataset.from_pandas(self._with_record(), preserve_index=False)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> "Candidates":
        """Candidates from a table with a ``record`` JSON column (as saved or from a dataset).

        Example:
            >>> f = pd.DataFrame({"prompt_id": [0], "prompt": ["Q"], "candidate": [0], "text": [" a"],
            ...                   "score": [1.0], "backend": ["x"], "record": ['{"seed": 3}']})
            >>> Candidates.from_frame(f).record
            {'seed': 3}
        """
        record = json.loads(frame["record"].iloc[0]) if len(frame) and "record" in frame else {}
        return cls(frame[list(COLUMNS)].reset_index(drop=True), record)

    def _with_record(self) -> pd.DataFrame:
        frame = self.frame[list(COLUMNS)].copy()
        frame["record"] = json.dumps(self.record, sort_keys=True, default=str)
        return frame


def _as_callable(generate: Any) -> Callable[..., Any]:
    return generate.generate if hasattr(generate, "generate") else generate


def sample_candidates(prompts: Sequence[str], n: int, generate: Any, max_new_tokens: int = 256,
                      seed: int = 0, prompt_ids: Sequence[Any] | None = None,
                      **sampling: Any) -> Candidates:
    """Sample ``n`` candidates per prompt, not scored yet (``score`` is NaN until
    :func:`score_candidates`): the first half of :func:`best_of_n`, for experiments in which
    several scorers judge the same candidates (the RJS experiment samples once per run).

    Args:
        prompts: HH-style dialogue prompts.
        n: candidates per prompt (paper S = 4).
        generate: a :class:`~morelib.alignment.generation.Generator` or a function with its
            ``generate`` signature.
        max_new_tokens, seed, sampling: passed to ``generate``.
        prompt_ids: ids of the prompts (default ``0..len-1``), e.g. the pairs' ids.

    Raises:
        ValueError: ``prompt_ids`` and ``prompts`` differ in length, or ``generate`` did not
            return ``n`` responses for every prompt.

    Example:
        >>> gen = lambda prompts, n, max_new_tokens, seed: [[" x"] * n for _ in prompts]
        >>> c = sample_candidates(["Q"], 2, gen, prompt_ids=["q-7"])
        >>> c.frame[["prompt_id", "candidate", "backend"]].values.tolist(), bool(c.frame.score.isna().all())
        ([['q-7', 0, 'callable'], ['q-7', 1, 'callable']], True)
    """
    prompts = list(prompts)
    ids = list(range(len(prompts))) if prompt_ids is None else list(prompt_ids)
    if len(ids) != len(prompts):
        raise ValueError(f"{len(ids)} prompt_ids for {len(prompts)} prompts")
    out = _as_callable(generate)(prompts, n=n, max_new_tokens=max_new_tokens, seed=seed,
                                 **sampling)
    if len(out) != len(prompts) or any(len(texts) != n for texts in out):
        raise ValueError(f"generate returned {[len(t) for t in out]} responses for "
                         f"{len(prompts)} prompts; expected {n} each")
    record = dict(getattr(out, "record", None) or
                  {"backend": getattr(generate, "backend", "callable"),
                   "settings": {"n": n, "max_new_tokens": max_new_tokens, "seed": seed,
                                **sampling}})
    frame = pd.DataFrame({
        "prompt_id": [i for i in ids for _ in range(n)],
        "prompt": [p for p, texts in zip(prompts, out) for _ in texts],
        "candidate": [k for _ in prompts for k in range(n)],
        "text": [t for texts in out for t in texts],
        "score": np.nan,
        "backend": record.get("backend", "callable"),
    })
    return Candidates(frame, record)


def score_candidates(candidates: Candidates, score: Callable[..., np.ndarray]) -> Candidates:
    """The candidates with every ``score`` set by ``score(prompts, responses) -> array``
    (:func:`~morelib.alignment.scoring.rm_score_fn`,
    :func:`~morelib.alignment.scoring.utility_score_fn`); the record names the scorer. The
    input is left as it was.

    Raises:
        ValueError: ``score`` returned another number of values than there are candidates.

    Example:
        >>> f = pd.DataFrame({"prompt_id": [0, 0], "prompt": ["Q", "Q"], "candidate": [0, 1],
        ...                   "text": [" a", " bb"], "score": np.nan, "backend": "x"})
        >>> def length(prompts, responses):
        ...     return np.array([len(r) for r in responses])
        >>> scored = score_candidates(Candidates(f), length)
        >>> scored.frame.score.tolist(), scored.record["scorer"]
        ([2.0, 3.0], 'length')
    """
    frame = candidates.frame
    scores = np.asarray(score(frame["prompt"].tolist(), frame["text"].tolist()),
                        dtype=np.float64).reshape(-1)
    if len(scores) != len(frame):
        raise ValueError(f"score returned {len(scores)} values for {len(frame)} responses")
    record = {**candidates.record,
              "scorer": getattr(score, "scorer", getattr(score, "__name__", "callable"))}
    return Candidates(frame.assign(score=scores), record)


def best_of_n(prompts: Sequence[str], n: int, generate: Any, score: Callable[..., np.ndarray],
              max_new_tokens: int = 256, seed: int = 0, prompt_ids: Sequence[Any] | None = None,
              **sampling: Any) -> Candidates:
    """Sample ``n`` candidates per prompt and score every one (see the module docstring):
    :func:`score_candidates` of :func:`sample_candidates`, whose arguments these are.

    Example:
        >>> gen = lambda prompts, n, max_new_tokens, seed: [[" x"] * n for _ in prompts]
        >>> c = best_of_n(["Q"], 2, gen, lambda p, r: np.zeros(len(r)), prompt_ids=["q-7"])
        >>> c.frame[["prompt_id", "candidate", "backend"]].values.tolist()
        [['q-7', 0, 'callable'], ['q-7', 1, 'callable']]
    """
    return score_candidates(sample_candidates(prompts, n, generate, max_new_tokens, seed,
                                              prompt_ids, **sampling), score)


def _pick(scores: np.ndarray, rule: str | Callable[[np.ndarray], int],
          rng: np.random.Generator) -> int:
    if callable(rule):
        return int(rule(scores))
    if rule in ("max", "min") and np.isnan(scores).any():
        raise ValueError("NaN scores: cannot apply the max/min rule")
    if rule == "max":
        return int(np.argmax(scores))  # ties → the first candidate
    if rule == "min":
        return int(np.argmin(scores))
    if rule == "random":
        return int(rng.integers(len(scores)))
    if rule == "first":
        return 0
    raise ValueError(f"rule must be one of {RULES} or a function, got {rule!r}")


def select_best(candidates: Candidates, rule: str | Callable[[np.ndarray], int] = "max",
                seed: int = 0) -> pd.DataFrame:
    """One row per prompt (first-seen order): the candidate the rule picks, plus
    ``n_candidates``.

    Args:
        rule: ``"max"`` (the paper; ties → lowest candidate index), ``"min"``, ``"random"``
            (seeded: no-selection baseline), ``"first"`` (= one plain sample), or a function
            from a prompt's scores (candidate order) to the index to keep.

    Example:
        >>> f = pd.DataFrame({"prompt_id": [0, 0, 0], "prompt": ["Q"] * 3, "candidate": [0, 1, 2],
        ...                   "text": [" a", " b", " c"], "score": [1.0, 3.0, 3.0], "backend": "x"})
        >>> select_best(Candidates(f)).text.tolist(), select_best(Candidates(f), "min").text.tolist()
        ([' b'], [' a'])
        >>> select_best(Candidates(f), lambda s: len(s) - 1).text.tolist()
        [' c']
    """
    rng = np.random.default_rng(seed)
    rows = []
    for _, group in candidates.frame.groupby("prompt_id", sort=False):
        group = group.sort_values("candidate", kind="stable")
        pick = _pick(group["score"].to_numpy(dtype=np.float64), rule, rng)
        row = group.iloc[pick].to_dict()
        row["n_candidates"] = len(group)
        rows.append(row)
    return pd.DataFrame(rows, columns=[*COLUMNS, "n_candidates"])


def best_responses(candidates: Candidates, rule: str | Callable[[np.ndarray], int] = "max",
                   seed: int = 0) -> tuple[list[str], list[str]]:
    """``(prompts, responses)`` of the selected candidates: the SFT data of RJS.

    Example:
        >>> f = pd.DataFrame({"prompt_id": [0, 0], "prompt": ["Q", "Q"], "candidate": [0, 1],
        ...                   "text": [" a", " b"], "score": [0.0, 1.0], "backend": "x"})
        >>> best_responses(Candidates(f))
        (['Q'], [' b'])
    """
    best = select_best(candidates, rule, seed)
    return best["prompt"].tolist(), best["text"].tolist()


def selection_summary(candidates: Candidates, rule: str | Callable[[np.ndarray], int] = "max",
                      seed: int = 0) -> dict[str, float]:
    """Mean score of all candidates, of the first sample and of the selected ones.

    Example:
        >>> f = pd.DataFrame({"prompt_id": [0, 0], "prompt": ["Q", "Q"], "candidate": [0, 1],
        ...                   "text": [" a", " b"], "score": [0.0, 1.0], "backend": "x"})
        >>> selection_summary(Candidates(f))
        {'n_prompts': 1, 'n_candidates': 2, 'mean_all': 0.5, 'mean_first': 0.0, 'mean_selected': 1.0}
    """
    frame = candidates.frame
    first = frame[frame["candidate"] == 0]["score"]
    return {"n_prompts": int(frame["prompt_id"].nunique()), "n_candidates": len(frame),
            "mean_all": float(frame["score"].mean()), "mean_first": float(first.mean()),
            "mean_selected": float(select_best(candidates, rule, seed)["score"].mean())}


def save_candidates(candidates: Candidates, path: str | Path) -> Path:
    """Write candidates to ``.jsonl`` or ``.parquet`` atomically; returns the path.

    Example:
        >>> import tempfile
        >>> f = pd.DataFrame({"prompt_id": [0], "prompt": ["Q"], "candidate": [0],
        ...                   "text": [" a"], "score": [0.5], "backend": "x"})
        >>> path = save_candidates(Candidates(f, {"backend": "x"}), tempfile.mkdtemp() + "/c.jsonl")
        >>> back = load_candidates(path)
        >>> back.frame.equals(f), back.record
        (True, {'backend': 'x'})
    """
    path = Path(path)
    frame = candidates._with_record()
    if path.suffix == ".jsonl":
        lines = [json.dumps(row, ensure_ascii=False) for row in frame.to_dict(orient="records")]
        atomic_write_text(path, "".join(line + "\n" for line in lines))
    elif path.suffix == ".parquet":
        with atomic_open(path, "wb") as f:
            frame.to_parquet(f, index=False)
    else:
        raise ValueError(f"save_candidates: use a .jsonl or .parquet path, got {path}")
    return path


def load_candidates(path: str | Path) -> Candidates:
    """Read candidates written by :func:`save_candidates` (``.jsonl`` or ``.parquet``).

    Example:
        >>> import tempfile
        >>> f = pd.DataFrame({"prompt_id": ["a"], "prompt": ["Q"], "candidate": [0],
        ...                   "text": [" x"], "score": [2.0], "backend": "y"})
        >>> path = save_candidates(Candidates(f), tempfile.mkdtemp() + "/c.parquet")
        >>> load_candidates(path).frame.score.tolist()
        [2.0]
    """
    path = Path(path)
    if path.suffix == ".jsonl":
        with open(path, encoding="utf-8") as f:  # no type guessing: "007" stays a string
            frame = pd.DataFrame([json.loads(line) for line in f if line.strip()])
    elif path.suffix == ".parquet":
        frame = pd.read_parquet(path)
    else:
        raise ValueError(f"load_candidates: use a .jsonl or .parquet path, got {path}")
    return Candidates.from_frame(frame)
