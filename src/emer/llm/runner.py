"""Running many requests through one backend: cache first, then bounded concurrency (servers) or batches
(local models), retries with backoff, parsing, and a per-sample outcome for every request.

Outcome statuses: ``ok`` (parsed value), ``malformed`` (the answer could not be parsed; recorded as
``rejected``, never as a result) and ``failed`` (no answer after the retries; nothing recorded). Answers
are recorded one by one as they arrive, so an interrupted run resumes where it stopped. In read-write mode a
recorded rejection is asked again; in replay mode it is reported as malformed. An answer cut off at
``max_tokens`` (finish reason ``length``) is parsed with ``truncated=True`` by parsers that take it, and
its outcome says ``truncated``. Requests of one run that share a cache key (the same messages, model and
settings) are sent once and all get that answer.

Retries wait what the server asks (``Retry-After`` of a 429/503), else an exponential backoff with jitter
drawn from a seeded random generator; every wait is capped at ``max_backoff_s``. On Ctrl-C
(KeyboardInterrupt) no queued request is sent: pending calls are cancelled, calls in flight are abandoned,
answers already received stay recorded, and the interrupt is raised again. An answer the cache cannot
record (a file locked too long, read-only or damaged) is kept for the run, written again at its end, and
reported with a warning naming the file if it still cannot be recorded.
"""

from __future__ import annotations

import inspect
import math
import random
import sys
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from emer.llm.backends import Answer, Backend, BackendError, GenerationSettings, Request, TransientError
from emer.llm.cache import CacheWriteError, CallCache, ReplayMiss, call_key
from emer.llm.parsing import MalformedAnswer

STATUSES = ("ok", "malformed", "failed")


@dataclass(frozen=True)
class RunSettings:
    """How calls are made (not part of the cache key): timeouts, retries, concurrency."""

    timeout_s: float = 120.0
    retries: int = 3
    backoff_s: float = 2.0
    max_backoff_s: float = 60.0
    concurrency: int = 4
    progress: bool = False

    def __post_init__(self) -> None:
        for name, low in (("retries", 0), ("concurrency", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"{name} must be a whole number of at least {low}, not {value!r}")
        for name in ("timeout_s", "backoff_s", "max_backoff_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ValueError(f"{name} must be a number of seconds, not {value!r}")
            if value < 0 or (name == "timeout_s" and value == 0):
                raise ValueError(
                    f"{name} must be {'above' if name == 'timeout_s' else 'at least'} 0, not {value}"
                )


@dataclass(frozen=True)
class Outcome:
    task: str
    sample: str
    status: str
    value: Any = None
    answer: str = ""
    error: str = ""
    cached: bool = False
    provenance: dict[str, Any] = field(default_factory=dict)
    truncated: bool = False  # the answer was cut off at max_tokens (finish reason "length")


def _takes_truncated(parse: Callable[..., Any]) -> bool:
    try:
        return "truncated" in inspect.signature(parse).parameters
    except (TypeError, ValueError):
        return False


class LLMRunner:
    """A backend, a cache and the settings: ``run(requests, parse)`` gives one :class:`Outcome` each.

    ``rng`` draws the backoff jitter (default: seeded from the generation seed, so waits are repeatable).
    """

    def __init__(
        self,
        backend: Backend,
        cache: CallCache,
        generation: GenerationSettings | None = None,
        settings: RunSettings | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.backend = backend
        self.cache = cache
        self.generation = generation or GenerationSettings()
        self.settings = settings or RunSettings()
        self._sleep = sleep
        self._rng = rng or random.Random(self.generation.seed)
        self._rng_lock = threading.Lock()
        self._stop = threading.Event()
        self.calls = 0  # calls made to the backend (not answered from the cache)
        self.unrecorded = 0  # answers of the last run that the cache could not record

    @property
    def label(self) -> str:
        return f"{self.backend.kind}:{self.backend.model}"

    def key(self, request: Request) -> str:
        return call_key(self.backend.kind, self.backend.model, request, self.generation)

    def missing(self, requests: Sequence[Request]) -> list[Request]:
        """Requests with no recorded answer (always none for a backend whose answers are computed)."""
        if not (self.backend.recorded and self.cache.reads):
            return [] if not self.backend.recorded else list(requests)
        return [r for r in requests if self.cache.get(self.key(r)) is None]

    def run(
        self, requests: Sequence[Request], parse: Callable[[str], Any] | Sequence[Callable[[str], Any]]
    ) -> list[Outcome]:
        """Outcomes in request order. ``parse`` reads an answer (one parser, or one per request).

        Replay mode raises :class:`ReplayMiss` naming the missing calls.
        """
        parsers = list(parse) if isinstance(parse, Sequence) else [parse] * len(requests)
        if len(parsers) != len(requests):
            raise ValueError(f"{len(parsers)} parsers for {len(requests)} requests")
        outcomes: list[Outcome | None] = [None] * len(requests)
        pending: list[int] = []
        recorded = self.backend.recorded and self.cache.reads
        missing = []
        for i, request in enumerate(requests):
            record = self.cache.get(self.key(request)) if recorded else None
            if record is not None and (record.status == "ok" or self.cache.mode == "replay"):
                outcomes[i] = self._parse(request, record.answer, parsers[i], True, dict(record.provenance))
            elif recorded and self.cache.mode == "replay":
                missing.append(request)
            else:
                pending.append(i)
        if missing:
            first = ", ".join(f"{r.task}/{r.sample}" for r in missing[:3])
            raise ReplayMiss(
                f"{self.cache.location}: replay-only, but {len(missing)} call(s) of {self.label} are "
                f"not recorded (first: {first}); run once with cache_mode='read-write' and the model "
                "available, or choose a backend whose calls are in the cache"
            )
        unrecorded: list[tuple] = []
        leaders, copies = self._distinct(requests, pending)

        def receive(i: int, result: Answer | Exception) -> None:
            for j in copies.get(i, []):  # the same call asked again in this run: the same answer
                receive_one(j, result, record=False)
            receive_one(i, result, record=True)

        def receive_one(i: int, result: Answer | Exception, record: bool) -> None:
            request = requests[i]
            if isinstance(result, Exception):
                outcomes[i] = Outcome(request.task, request.sample, "failed", error=str(result))
                return
            outcome = self._parse(request, result.text, parsers[i], False, dict(result.provenance))
            outcomes[i] = outcome
            if self.backend.recorded and record:
                row = (
                    self.key(request),
                    request,
                    self.backend.kind,
                    self.backend.model,
                    self.generation,
                    result.text,
                    "ok" if outcome.status == "ok" else "rejected",
                    outcome.error,
                    result.provenance,
                )
                try:
                    self.cache.put(*row)
                except CacheWriteError:
                    unrecorded.append(row)

        self._stop.clear()
        try:
            self._call(requests, leaders, receive)
        finally:
            self.unrecorded = self._record_again(unrecorded)
        return [o for o in outcomes if o is not None]

    def _distinct(
        self, requests: Sequence[Request], pending: list[int]
    ) -> tuple[list[int], dict[int, list[int]]]:
        """The pending requests to send (the first of each cache key) and, for each, the later requests with
        the same key, which get its answer. A computed backend's requests are all sent (its answers come from
        the requests' inputs, which the key does not hold)."""
        if not self.backend.recorded:
            return pending, {}
        first: dict[str, int] = {}
        copies: dict[int, list[int]] = {}
        for i in pending:
            lead = first.setdefault(self.key(requests[i]), i)
            if lead != i:
                copies.setdefault(lead, []).append(i)
        return list(first.values()), copies

    def _record_again(self, rows: list[tuple]) -> int:
        """Write the answers the cache refused once more; warn (naming the file) about those it refuses."""
        left, error = 0, None
        for row in rows:
            try:
                self.cache.put(*row)
            except CacheWriteError as exc:
                left, error = left + 1, exc
        if left:
            message = f"{left} answer(s) of {self.label} were used but not recorded: {error}"
            warnings.warn(message, RuntimeWarning, stacklevel=3)
            print(f"[emer.llm] {message}", file=sys.stderr, flush=True)
        return left

    def _parse(
        self, request: Request, text: str, parse: Callable[..., Any], cached: bool, provenance: dict
    ) -> Outcome:
        truncated = provenance.get("finish_reason") == "length"
        try:
            value = parse(text, truncated=True) if truncated and _takes_truncated(parse) else parse(text)
        except MalformedAnswer as exc:
            return Outcome(
                request.task,
                request.sample,
                "malformed",
                None,
                text,
                str(exc),
                cached,
                provenance,
                truncated,
            )
        return Outcome(request.task, request.sample, "ok", value, text, "", cached, provenance, truncated)

    # -- calling the backend ----------------------------------------------------------------------------
    def _wait_s(self, attempt: int, error: TransientError | None) -> float:
        """Seconds before retry ``attempt`` (1, 2, ...): the server's Retry-After, else jittered backoff."""
        cap = self.settings.max_backoff_s
        asked = getattr(error, "retry_after", None)
        if asked is not None:
            return max(0.0, min(cap, float(asked)))
        base = min(cap, self.settings.backoff_s * 2 ** (attempt - 1))
        with self._rng_lock:
            return base * (0.5 + 0.5 * self._rng.random())

    def _attempt(self, batch: Sequence[Request]) -> list[Answer] | Exception:
        """One batch with retries; the exception of the last attempt when all fail."""
        last: TransientError | None = None
        for attempt in range(self.settings.retries + 1):
            if attempt:
                self._sleep(self._wait_s(attempt, last))
            if self._stop.is_set():
                return BackendError("not sent: the run was interrupted")
            try:
                self.calls += len(batch)
                if len(batch) == 1:
                    return [self.backend.complete(batch[0], self.generation, self.settings.timeout_s)]
                return self.backend.complete_batch(batch, self.generation, self.settings.timeout_s)
            except TransientError as exc:
                last = exc
            except BackendError as exc:
                return exc
        return TransientError(f"gave up after {self.settings.retries + 1} attempts: {last}")

    def _call(
        self,
        requests: Sequence[Request],
        pending: list[int],
        receive: Callable[[int, Answer | Exception], None],
    ) -> None:
        """Call the backend for ``pending`` and hand each (index, Answer | Exception) to ``receive``."""
        if not pending:
            return
        size = max(1, int(getattr(self.backend, "batch_size", 1)))
        workers = max(1, min(self.settings.concurrency, int(getattr(self.backend, "max_concurrency", 1))))
        batches = [pending[i : i + size] for i in range(0, len(pending), size)]
        done = 0
        if workers == 1:
            for batch in batches:
                for i, result in self._results(batch, self._attempt([requests[i] for i in batch])):
                    receive(i, result)
                done += len(batch)
                self._report(done, len(pending))
            return
        pool = ThreadPoolExecutor(max_workers=workers)
        running: dict[Future, list[int]] = {}
        try:
            queue = iter(batches)
            for batch in queue:
                running[pool.submit(self._attempt, [requests[i] for i in batch])] = batch
                if len(running) >= workers * 2:
                    break
            while running:
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in sorted(finished, key=lambda f: running[f][0]):
                    batch = running.pop(future)
                    for i, result in self._results(batch, future.result()):
                        receive(i, result)
                    done += len(batch)
                    self._report(done, len(pending))
                    following = next(queue, None)
                    if following is not None:
                        running[pool.submit(self._attempt, [requests[i] for i in following])] = following
        except BaseException:  # Ctrl-C (or a failing receive): send nothing more
            self._stop.set()
            for future in running:
                future.cancel()
            for future, batch in sorted(running.items(), key=lambda item: item[1][0]):
                # answers already received are kept
                if future.done() and not future.cancelled() and future.exception() is None:
                    for i, result in self._results(batch, future.result()):
                        receive(i, result)
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)

    @staticmethod
    def _results(batch: list[int], result: list[Answer] | Exception):
        if isinstance(result, Exception):
            for i in batch:
                yield i, result
            return
        if len(result) != len(batch):
            error = BackendError(f"backend returned {len(result)} answers for {len(batch)} requests")
            for i in batch:
                yield i, error
            return
        yield from zip(batch, result, strict=True)

    def _report(self, done: int, total: int) -> None:
        if self.settings.progress and (done == total or done % 25 == 0):
            print(f"[emer.llm] {self.label}: {done}/{total} calls", file=sys.stderr, flush=True)
