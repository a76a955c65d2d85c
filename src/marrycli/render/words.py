"""Sentences for people: a write's one-line confirmation, what it takes to reach the
next stage, the error budget, `check`'s findings, and effort spent on what a customer does
not value.

Plain strings (no Rich), with user text made visible; the numbers in them come from the
model (its thresholds are the model's constants, never copied here).
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import TYPE_CHECKING

from marrycli.dates import format_local
from marrycli.domain import Promise, Size, Stage
from marrycli.render.safety import visible

if TYPE_CHECKING:
    from marrycli.domain import (
        CustomerDetail,
        CustomerValues,
        Finding,
    )


def promise_line(promise: Promise, as_of: datetime, value_from: str | None = None) -> str:
    """A write's confirmation: the promise in one line of plain text (no Rich needed);
    `value_from`: the tag of the customer's profile its value came from."""
    state = promise.state(as_of)
    due = f"due {format_local(state.due)}" if state.due is not None else "no due date"
    if promise.standing is not None:
        terms = promise.standing
        due = f"every {terms.every}, each due within {terms.within}"
        if terms.until is not None:
            due += f", until {format_local(terms.until)}"
    value = f"value {promise.value.value}"
    if value_from is not None:
        value += f", from {visible(promise.customer)}'s profile for tag {visible(value_from)}"
    if promise.standing is None:
        status = state.status.value.replace("_", " ")
    else:
        status = "ended" if state.status.resolved else "standing"
    named = promise.address if promise.stored else f"{promise.address} (not stored yet)"
    if promise.stored and promise.series is not None:
        named = f"{promise.id} ({promise.address})"
    return (
        f"{named} {visible(promise.customer)}: {visible(promise.text)} "
        f"({due}; {promise.size.value}; {value}; "
        f"owner {visible(promise.owner)}) {status}"
    )


def values_sentence(values: CustomerValues) -> str | None:
    """The plain sentence when effort goes to promises the customer does not value (SPEC §8:
    the model decides when); None otherwise."""
    if not values.effort_misplaced:
        return None
    assert values.valued_keep_rate is not None and values.unvalued_keep_rate is not None
    return (
        "Effort goes to promises the customer does not value: "
        f"{values.valued_keep_rate:.0%} of the valued ones are kept on time, "
        f"against {values.unvalued_keep_rate:.0%} of the others."
    )


def valued_rates_line(values: CustomerValues) -> str:
    """The keep rate of valued promises beside the others', in words."""

    def rate(keep_rate: float | None, resolved: int) -> str:
        if keep_rate is None:
            return "none resolved yet"
        return f"{keep_rate:.0%} ({resolved} resolved)"

    return (
        "Kept on time: of the valued promises (value low or high) "
        f"{rate(values.valued_keep_rate, values.valued_resolved)}, of the others "
        f"{rate(values.unvalued_keep_rate, values.unvalued_resolved)}."
    )


def next_stage_sentence(detail: CustomerDetail) -> str:
    """What it takes to reach the next stage, in words."""
    r = detail.report
    step = detail.next_stage
    if r.stage is Stage.ESTRANGED:
        from marrycli.model.scoring import EST_D

        return (
            f"distrust ({r.distrust:.2f}) must fall below {EST_D:.2f} to leave estranged: "
            "only valued promises kept can dilute it"
        )
    if r.stage is Stage.STRAINED:
        return (
            f"distrust ({r.distrust:.2f}) must fall below trust ({r.trust:.2f}) to leave strained"
        )
    if step.stage is None:
        return "married, the last stage: keep every promise to stay here"
    needs = []
    if step.valued_kept:
        needs.append(
            f"{step.valued_kept} more valued promise{'s' if step.valued_kept != 1 else ''} kept"
        )
    if step.trust > 0:
        needs.append(f"trust up by {step.trust:.2f}")
    if step.days > 0:
        days = math.ceil(step.days)
        needs.append(f"{days} more day{'s' if days != 1 else ''}")
    if not needs:
        return f"ready for {step.stage.value}"
    if len(needs) > 1:
        return ", ".join(needs[:-1]) + " and " + needs[-1] + f" to reach {step.stage.value}"
    return f"{needs[0]} to reach {step.stage.value}"


def finding_line(finding: Finding) -> str:
    """One finding for people and logs: customer, check, expected, actual."""
    expected, actual = finding.expected, finding.actual
    if finding.check == "min-stage":
        wanted = f"{expected} or better"
    elif finding.check == "min-keep-rate":
        assert isinstance(expected, float) and isinstance(actual, float)
        wanted, actual = f"at least {expected:.2%}", f"{actual:.2%}"
    else:
        wanted = f"at most {expected}"
    return f"{visible(finding.customer)}: {finding.check}: expected {wanted}, actual {actual}"


def budget_sentence(detail: CustomerDetail) -> str:
    """The error budget in words."""
    from marrycli.model.discipline import BUDGET_CAP

    def count(size: Size) -> str:
        n = detail.budget[size]
        return f"{'at least ' if n >= BUDGET_CAP else ''}{n} {size.value}"

    stage = detail.report.stage.value
    if detail.report.stage is Stage.ESTRANGED:
        from marrycli.model.scoring import keeps_to_leave_estranged

        keeps = keeps_to_leave_estranged(detail.report)
        return (
            "none: estranged is the lowest stage, so no break drops it further; to leave it, "
            f"keep {keeps[Size.SMALL]} small, {keeps[Size.MEDIUM]} medium or "
            f"{keeps[Size.LARGE]} large high-value promise(s) on time, with no new failure"
        )
    if all(n == 0 for n in detail.budget.values()):
        return f"no break can be absorbed: the next one, of any size, drops it below {stage}"
    return (
        f"{count(Size.SMALL)}, {count(Size.MEDIUM)} or {count(Size.LARGE)} "
        f"break(s) in a row before it drops below {stage}"
    )
