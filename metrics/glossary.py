"""The glossary: for each KPI and forward-looking report, what it means and who owns it.

`glossary` is answered through `metrics.engine`, as every report is.
"""

from __future__ import annotations

from dataclasses import dataclass

from metrics.definitions import KEYS, KPIS, REPORTS
from metrics.thresholds import Thresholds


@dataclass(frozen=True)
class GlossaryEntry:
    key: str
    label: str
    explanation: str
    formula: str
    unit: str
    better: str | None
    owner: str
    playbook_url: str
    choices: tuple[str, ...]


COMMON_CHOICES = (
    "Status compares the value rounded to two decimals with the thresholds (a segment's own "
    "threshold wins); change is the difference of the rounded values.",
    "Default period: the last full calendar month before today. Previous period: for a whole "
    "calendar month, quarter or year, the month, quarter or year before it (October compares "
    "with September, Q3 with Q2); for any other period, the same number of days immediately "
    "before P; compare=previous_year takes the same dates one year earlier (29 February: the "
    "28th). A period that ends after today is partial and flagged so.",
    "Series sub-periods are calendar weeks (Monday to Sunday), months or quarters clipped to P.",
)


def glossary() -> tuple[GlossaryEntry, ...]:
    """For each KPI: label, hover text, formula, unit, direction, owner, playbook, choices;
    then the forward-looking reports (`metrics.definitions.REPORTS`).

    Owner and playbook come from the default (segment-less) threshold (one query).
    """
    thresholds = Thresholds(KEYS)
    entries = []
    for kpi in KPIS.values():
        threshold = thresholds.get(kpi.key)
        entries.append(
            GlossaryEntry(
                kpi.key,
                kpi.label,
                kpi.explanation,
                kpi.formula,
                kpi.unit,
                kpi.better,
                threshold.owner if threshold else "",
                threshold.playbook_url if threshold else "",
                kpi.choices + COMMON_CHOICES,
            )
        )
    # The forward-looking reports (computed by the outlook app) have no thresholds.
    for report in REPORTS.values():
        entries.append(
            GlossaryEntry(
                report.key,
                report.label,
                report.explanation,
                report.formula,
                report.unit,
                None,
                "",
                "",
                report.choices,
            )
        )
    return tuple(entries)
