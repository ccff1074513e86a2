"""The domain-specific preference file: one query, one response written for each domain.

Records are ``{"query": str, "responses": {domain: str, ...}}`` (domains ``academy``,
``business``, ``entertainment``, ``literature``, ``normal``). Each domain D is its own source
``dsp-D``: every query gives pairs (chosen = ``responses[D]``, rejected = each other domain's
response), so a *record* of source ``dsp-D`` is one such candidate pair (4 per query). The
prompt is HH style, ``"\\n\\nHuman: <query>\\n\\nAssistant:"``, replies ``" " + response``.
Documented drops: a blank response (``empty reply``; one ``normal`` response in the test file
is blank) and identical responses. Every record must hold the first record's domains.

Example:
    >>> rec = {"query": "Say hi.", "responses": {"academy": "Greetings.", "normal": "Hi!"}}
    >>> [(s.name, s.pairs[0].chosen, s.pairs[0].rejected) for s in dsp_pairs([("record 0", rec)], "f")]
    [('dsp-academy', ' Greetings.', ' Hi!'), ('dsp-normal', ' Hi!', ' Greetings.')]
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Mapping, Sequence

from morelib.data.collect import DROP_EMPTY_REPLY
from morelib.data.dialogue import hh_prompt, hh_reply
from morelib.data.fields import get_field, get_text
from morelib.data.readers import Located, read_records
from morelib.data.schema import DataError, DropReport, LoadedSource, make_pair


def dsp_pairs(records: Iterable[Located], origin: str, domains: Sequence[str] | None = None,
              prefix: str = "dsp") -> list[LoadedSource]:
    """One source per domain from domain-specific preference records (see the module notes).

    Example:
        >>> rec = {"query": "q", "responses": {"a": "x", "b": ""}}
        >>> [(s.name, len(s), s.dropped.counts) for s in dsp_pairs([("record 0", rec)], "f")]
        [('dsp-a', 0, {'empty reply': 1}), ('dsp-b', 0, {'empty reply': 1})]
    """
    names = list(domains) if domains is not None else None
    results: dict[str, tuple[list, DropReport]] = {}
    for index, (where, record) in enumerate(records):
        query = get_text(record, ("query",), origin, where)
        responses = get_field(record, ("responses",), origin, where)
        if not isinstance(responses, Mapping):
            raise DataError(origin, where, "responses",
                            f"expected an object, got {type(responses).__name__}")
        if names is None:
            names = list(responses)
        texts = {d: get_text(record, ("responses", d), origin, where, allow_empty=True)
                 for d in names}
        prompt = hh_prompt([("human", query)])
        for domain in names:
            pairs, dropped = results.setdefault(domain, ([], DropReport()))
            for other in names:
                if other == domain:
                    continue
                if not (texts[domain].strip() and texts[other].strip()):
                    dropped.drop(DROP_EMPTY_REPLY)
                    continue
                pair = make_pair(prompt, hh_reply(texts[domain]), hh_reply(texts[other]),
                                 f"{prefix}-{domain}", f"{prefix}-{domain}-{index}-{other}",
                                 dropped, {"query_index": index, "rejected_domain": other})
                if pair is not None:
                    pairs.append(pair)
    return [LoadedSource(f"{prefix}-{d}", *results.get(d, ([], DropReport())), origin=origin)
            for d in names or []]


def load_dsp_file(path: str | Path, domains: Sequence[str] | None = None,
                  limit: int | None = None, prefix: str = "dsp") -> list[LoadedSource]:
    """Load a domain-specific preference file; ``limit`` keeps the first N queries.

    Example:
        >>> import tempfile, pathlib, json
        >>> f = pathlib.Path(tempfile.mkdtemp()) / "dsp.json"
        >>> rec = {"query": "q", "responses": {"academy": "x", "business": "y", "normal": "z"}}
        >>> _ = f.write_text(json.dumps([rec, rec]))
        >>> [(s.name, len(s)) for s in load_dsp_file(f, domains=["academy", "normal"], limit=1)]
        [('dsp-academy', 1), ('dsp-normal', 1)]
    """
    return dsp_pairs(read_records(path, limit), str(path), domains, prefix)
