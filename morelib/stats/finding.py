"""A structured finding: the sentence the report prints, plus what it claims and on which numbers.

A :class:`Finding` *is* its sentence (a ``str`` subclass, with the same ``repr``), so notebooks
and the report render it exactly as the plain sentences they printed before (``"\\n".join``,
f-strings, JSON, a displayed list), while code that selects or scores findings reads fields
instead of searching the text (:meth:`Finding.as_dict` gives them all):

* ``claim``: a short stable key of what is compared (e.g. ``"ece_gap"``);
* ``estimate``, ``ci_low``, ``ci_high``: the number the sentence rests on and its interval
  (NaN where the sentence has none);
* ``verdict``: the sentence's conclusion in a word or phrase (e.g. ``"lower than"``).

Example:
    >>> f = Finding("MORE's ECE is lower (difference -0.010 [-0.020, -0.001]).", "ece_gap",
    ...             estimate=-0.01, ci_low=-0.02, ci_high=-0.001, verdict="lower than")
    >>> print(f)
    MORE's ECE is lower (difference -0.010 [-0.020, -0.001]).
    >>> f.claim, f.verdict, f.ci_high < 0
    ('ece_gap', 'lower than', True)
    >>> "\\n".join([f, "plain sentence"]).splitlines()[1], f == str(f)
    ('plain sentence', True)
"""

from __future__ import annotations

import math


class Finding(str):
    """One generated finding: the sentence (``text``, also the value of the string itself) with
    its ``claim`` key, ``estimate``, interval ``[ci_low, ci_high]`` and ``verdict``."""

    def __new__(cls, text: str, claim: str = "", *, estimate: float = math.nan,
                ci_low: float = math.nan, ci_high: float = math.nan, verdict: str = ""):
        self = super().__new__(cls, text)
        self.claim = claim
        self.estimate = float(estimate)
        self.ci_low = float(ci_low)
        self.ci_high = float(ci_high)
        self.verdict = verdict
        return self

    @property
    def text(self) -> str:
        """The sentence as a plain ``str``.

        Example:
            >>> type(Finding("x", "c").text)
            <class 'str'>
        """
        return str.__str__(self)

    def prefixed(self, prefix: str) -> "Finding":
        """The same finding with ``prefix`` before its sentence (e.g. which test sets it is on).

        Example:
            >>> f = Finding("MORE lower.", "ece_gap", verdict="lower").prefixed("Real test sets: ")
            >>> print(f); f.claim, f.verdict
            Real test sets: MORE lower.
            ('ece_gap', 'lower')
        """
        return Finding(prefix + self.text, self.claim, estimate=self.estimate,
                       ci_low=self.ci_low, ci_high=self.ci_high, verdict=self.verdict)

    def as_dict(self) -> dict:
        """The record as a plain dict (for a table or JSON).

        Example:
            >>> Finding("x", "c", estimate=0.5, verdict="v").as_dict()
            {'claim': 'c', 'text': 'x', 'estimate': 0.5, 'ci_low': nan, 'ci_high': nan, 'verdict': 'v'}
        """
        return {"claim": self.claim, "text": self.text, "estimate": self.estimate,
                "ci_low": self.ci_low, "ci_high": self.ci_high, "verdict": self.verdict}
