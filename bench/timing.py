"""Timing helpers: warm repeated runs, median and p95, and query counts."""

import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext


@dataclass(frozen=True)
class Timing:
    name: str
    runs: int
    median_ms: float
    p95_ms: float
    queries: int

    def as_dict(self) -> dict:
        return asdict(self)


def measure(name: str, func: Callable[[], object], runs: int = 20, warmup: int = 3) -> Timing:
    """Run `func` warmup times untimed, then `runs` times; report median, p95 and queries."""
    for _ in range(warmup):
        func()
    with CaptureQueriesContext(connection) as captured:
        func()
    queries = len(captured.captured_queries)
    samples = []
    for _ in range(runs):
        reset_queries()
        began = time.perf_counter()
        func()
        samples.append((time.perf_counter() - began) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return Timing(name, runs, round(statistics.median(samples), 2), round(p95, 2), queries)
