"""An LLM judge over an OpenAI-compatible HTTP API (``POST {base_url}/chat/completions``).

One call = one user message (:func:`judge_prompt`), temperature 0 and a seed by default,
then :func:`parse_verdict` on the reply's last non-empty line. Failures are bounded: at most
``max_retries + 1`` attempts in all, shared by

- HTTP 429, 5xx, timeouts and connection errors: retried after ``backoff * 2**(k-1)`` seconds
  (capped at ``max_backoff``; a numeric ``Retry-After`` header is honoured up to the cap);
- a malformed body (not JSON, no ``choices``, no string content): retried with the same backoff;
- an unparsable reply: retried at once;
- any other 4xx (401, 400, 404, ...): an "error" verdict at once, without retrying.

``timeout`` is an overall deadline per request (connect, headers and the whole body), not a
per-read timeout: a server that drips its headers or its body a byte at a time is cut off at
the deadline and the attempt counts as a timeout.

The API key is read from the environment variable ``api_key_env`` at each call (no
``Authorization`` header when it is unset, as local servers need none). It is never stored on
the judge, shown by ``repr``, logged or written: every string from the server is scrubbed of it
before it is cut to length, so no part of a key survives a cut.
Needs ``httpx`` (``pip install 'morelib[judge]'``), imported when a judge is created.
"""

from __future__ import annotations

import json
import os
import threading
import time

from .judge_log import JudgementLog
from .judge_prompts import _check_kind, judge_prompt, parse_verdict
from .verdicts import Verdict

_MAX_ERROR_CHARS = 500


def _scrub(text: str, key: str | None) -> str:
    return text.replace(key, "***") if key else text


def _retry_after(headers) -> float | None:
    try:
        return float(headers.get("retry-after"))
    except (TypeError, ValueError):
        return None


def _content(body: str) -> str:
    """The first choice's message content; ValueError with a short reason otherwise."""
    try:
        data = json.loads(body)
    except ValueError:
        raise ValueError(f"malformed JSON body: {body[:200]!r}") from None
    choices = data.get("choices") if isinstance(data, dict) else None
    if not isinstance(choices, list) or not choices:
        raise ValueError(f"no choices in reply: {body[:200]!r}")
    message = choices[0].get("message") if isinstance(choices[0], dict) else None
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(content, str):
        raise ValueError(f"no string content in the first choice: {body[:200]!r}")
    return content


class LLMJudge:
    """Pairwise judge for ``kind`` "helpful" or "harmless" served by ``model`` at ``base_url``
    (e.g. ``https://api.openai.com/v1`` or ``http://127.0.0.1:8000/v1``).

    ``log``: a path or :class:`JudgementLog` receiving one record per call; ``sleep``: the
    function used to wait between retries (inject a fake in tests); ``client``: an
    ``httpx.Client`` to use instead of the judge's own; ``max_tokens``: the reply budget.

        >>> judge = LLMJudge("http://127.0.0.1:9/v1", "gpt-4", kind="harmless", max_retries=2)
        >>> print(repr(judge).replace(", api", ",\\n  api"))
        LLMJudge(base_url='http://127.0.0.1:9/v1', model='gpt-4', kind='harmless',
          api_key_env='OPENAI_API_KEY', max_retries=2)
        >>> judge.close()
    """

    def __init__(self, base_url: str, model: str, kind: str = "helpful", *,
                 api_key_env: str = "OPENAI_API_KEY", max_retries: int = 3,
                 backoff: float = 1.0, max_backoff: float = 30.0, timeout: float = 60.0,
                 temperature: float = 0.0, seed: int | None = 0, max_tokens: int = 256,
                 log=None, sleep=time.sleep, client=None):
        try:
            import httpx
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError("LLMJudge needs httpx: pip install 'morelib[judge]'") from exc
        if max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {max_retries}")
        self.base_url = str(base_url).rstrip("/")
        self.model = model
        self.kind = _check_kind(kind)
        self.api_key_env = api_key_env
        self.max_retries = int(max_retries)
        self.backoff, self.max_backoff = float(backoff), float(max_backoff)
        self.timeout = float(timeout)
        self.temperature, self.seed, self.max_tokens = temperature, seed, max_tokens
        self.log = log if log is None or isinstance(log, JudgementLog) else JudgementLog(log)
        self.sleep = sleep
        self._httpx = httpx
        self._own_client = client is None
        self._client = client if client is not None else httpx.Client(timeout=self.timeout)

    def __repr__(self) -> str:
        return (f"LLMJudge(base_url={self.base_url!r}, model={self.model!r}, kind={self.kind!r}, "
                f"api_key_env={self.api_key_env!r}, max_retries={self.max_retries})")

    def close(self) -> None:
        """Close the HTTP client the judge created (not one passed in)."""
        if self._own_client:
            self._client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _payload(self, text: str) -> dict:
        payload = {"model": self.model, "messages": [{"role": "user", "content": text}],
                   "temperature": self.temperature, "max_tokens": self.max_tokens}
        if self.seed is not None:
            payload["seed"] = self.seed
        return payload

    def _post(self, payload: dict, headers: dict) -> tuple[int, str, object]:
        """``(status, body text, headers)`` of one request finished within ``timeout`` seconds
        in all; :class:`TimeoutError` past that deadline, however the bytes trickle in.

        The request runs in a daemon thread the caller stops waiting for at the deadline (a
        server dripping its *headers* would hold any read loop); that thread gives up at its
        next body chunk past the deadline, or when the server ends its headers."""
        deadline = time.monotonic() + self.timeout
        outcome: dict = {}
        finished = threading.Event()

        def request() -> None:
            try:
                outcome["reply"] = self._read_reply(payload, headers, deadline)
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting caller
                outcome["error"] = exc
            finally:
                finished.set()

        threading.Thread(target=request, name="llm-judge-request", daemon=True).start()
        if not finished.wait(self.timeout):
            raise TimeoutError(f"no complete reply within the {self.timeout:g} s deadline")
        if "error" in outcome:
            raise outcome["error"]
        return outcome["reply"]

    def _read_reply(self, payload: dict, headers: dict,
                    deadline: float) -> tuple[int, str, object]:
        with self._client.stream("POST", f"{self.base_url}/chat/completions", json=payload,
                                 headers=headers, timeout=self.timeout) as reply:
            chunks = []
            for chunk in reply.iter_bytes():
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    raise TimeoutError(f"no complete reply within the {self.timeout:g} s "
                                       "deadline")
            body = b"".join(chunks).decode(reply.encoding or "utf-8", errors="replace")
            return reply.status_code, body, reply.headers

    def _attempt(self, payload: dict, key: str | None):
        """One request: (content, error, retryable, retry_after); content None on failure.
        Every text from the server is scrubbed of ``key`` before anything cuts it."""
        headers = {"Content-Type": "application/json"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        try:
            status, body, reply_headers = self._post(payload, headers)
        except self._httpx.TimeoutException as exc:
            return None, f"timeout: {type(exc).__name__}", True, None
        except TimeoutError as exc:
            return None, f"timeout: {exc}", True, None
        except self._httpx.TransportError as exc:
            return None, _scrub(f"transport error: {type(exc).__name__}: {exc}", key), True, None
        body = _scrub(body, key)
        if status == 429 or status >= 500:
            return None, f"HTTP {status}: {body[:200]}", True, _retry_after(reply_headers)
        if status >= 400:
            return None, f"HTTP {status}: {body[:200]}", False, None
        try:
            return _content(body), None, False, None
        except ValueError as exc:
            return None, str(exc), True, None

    def _delay(self, retry: int, retry_after: float | None) -> float:
        delay = min(self.max_backoff, self.backoff * 2 ** (retry - 1))
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.max_backoff))
        return delay

    def judge(self, prompt: str, response_a: str, response_b: str, *, order: str = "AB") -> Verdict:
        """Ask the model once (plus bounded retries); "A", "B" or "error" with the raw reply.

        ``details``: ``attempts``, ``raws`` (every reply), ``errors`` (every failure),
        ``error`` (the final reason, on "error" only), ``order``, ``model``, ``kind``.
        Responses must be strings (not lists: D20).
        """
        for name, value in (("prompt", prompt), ("response_a", response_a),
                            ("response_b", response_b)):
            if not isinstance(value, str):
                raise TypeError(f"{name} must be a str, got {type(value).__name__}")
        payload = self._payload(judge_prompt(self.kind, prompt, response_a, response_b))
        key = os.environ.get(self.api_key_env) or None
        raws, errors, parsed, attempts = [], [], None, 0
        while attempts <= self.max_retries:
            attempts += 1
            content, error, retryable, retry_after = self._attempt(payload, key)
            delay = 0.0
            if content is not None:
                raws.append(content)
                parsed = parse_verdict(content, self.kind)
                if parsed is not None:
                    break
                errors.append("unparsable reply")
            else:
                errors.append(error[:_MAX_ERROR_CHARS])
                if not retryable:
                    break
                delay = self._delay(attempts, retry_after)
            if attempts <= self.max_retries and delay > 0:
                self.sleep(delay)
        details = {"attempts": attempts, "raws": raws, "errors": errors, "order": order,
                   "model": self.model, "kind": self.kind}
        if parsed is None:
            details["error"] = errors[-1]
        verdict = Verdict(parsed or "error", raws[-1] if raws else "", details)
        if self.log is not None:
            self.log.write({"prompt": _scrub(prompt, key), "a": _scrub(response_a, key),
                            "b": _scrub(response_b, key), "order": order,
                            "raw": verdict.raw, "raws": raws, "parsed": parsed,
                            "attempts": attempts, "errors": errors, "model": self.model,
                            "kind": self.kind})
        return verdict
