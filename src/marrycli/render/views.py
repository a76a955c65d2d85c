"""The views: what each command shows, as frozen dataclasses of domain objects.

A view holds the data and no presentation; `render.emit` shows it in a format through
the renderers registered for its type. `WHAT` names the command (or its variant) in the
message for a format the view does not have; None for a view several commands share,
whose message names the command that ran. A write's view, `PromiseWritten`, is in
`render.written`, so that a write imports none of these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from marrycli.domain import (
    AgendaItem,
    CustomerDetail,
    CustomerProfile,
    CustomerSummary,
    Finding,
    LedgerInfo,
    OwnerReport,
    Promise,
    ReportLine,
    SeriesRecord,
    TagReport,
    WhatIf,
)
from marrycli.service.config import Effective


@dataclass(frozen=True, slots=True)
class PromiseDetail:
    """`marry promise show`: one promise with its events."""

    WHAT: ClassVar[str] = "`marry promise show`"
    promise: Promise
    as_of: datetime
    series: SeriesRecord | None = None  # a standing promise's record (its JSON is SPEC §7's)


@dataclass(frozen=True, slots=True)
class PromiseList:
    """`marry promise list`."""

    WHAT: ClassVar[str] = "`marry promise list`"
    promises: Sequence[Promise]
    as_of: datetime
    series: Sequence[SeriesRecord] = ()  # standing promises, under --status standing or all


@dataclass(frozen=True, slots=True)
class CustomerList:
    """`marry customer list`."""

    WHAT: ClassVar[str] = "`marry customer list`"
    customers: Sequence[CustomerSummary]


@dataclass(frozen=True, slots=True)
class CustomerProfileView:
    """`marry customer show`: a customer's names, value profile and counts."""

    WHAT: ClassVar[str] = "`marry customer show`"
    profile: CustomerProfile


@dataclass(frozen=True, slots=True)
class LedgerInfoView:
    """`marry db info`."""

    WHAT: ClassVar[str] = "`marry db info`"
    info: LedgerInfo


@dataclass(frozen=True, slots=True)
class Report:
    """`marry report`: every customer, those needing attention first."""

    WHAT: ClassVar[str] = "`marry report`"
    # The formats that show each customer's 30-day trust trend: scoring it costs a second
    # pass, so the service computes it only for these (a new format adds itself here).
    TREND_FORMATS: ClassVar[frozenset[str]] = frozenset({"table", "html"})
    # The formats that show every customer in detail too (the HTML page's sections).
    DETAIL_FORMATS: ClassVar[frozenset[str]] = frozenset({"html"})
    lines: Sequence[ReportLine]
    as_of: datetime


@dataclass(frozen=True, slots=True)
class CustomerReportView:
    """`marry report --customer`: one customer in detail."""

    WHAT: ClassVar[str] = "`marry report --customer`"
    detail: CustomerDetail
    as_of: datetime


@dataclass(frozen=True, slots=True)
class OwnersReport:
    """`marry report --by owner`."""

    WHAT: ClassVar[str] = "`marry report --by owner`"
    owners: Sequence[OwnerReport]
    as_of: datetime


@dataclass(frozen=True, slots=True)
class TagsReport:
    """`marry report --by tag`."""

    WHAT: ClassVar[str] = "`marry report --by tag`"
    tags: Sequence[TagReport]
    as_of: datetime


@dataclass(frozen=True, slots=True)
class CheckResult:
    """`marry check`: the findings, one per line for people."""

    WHAT: ClassVar[str] = "`marry check`"
    findings: Sequence[Finding]


@dataclass(frozen=True, slots=True)
class WhatIfView:
    """`marry whatif`: a customer before and after a hypothetical event."""

    WHAT: ClassVar[str] = "`marry whatif`"
    result: WhatIf


@dataclass(frozen=True, slots=True)
class Agenda:
    """`marry agenda`."""

    WHAT: ClassVar[str] = "`marry agenda`"
    items: Sequence[AgendaItem]
    as_of: datetime
    until: datetime


@dataclass(frozen=True, slots=True)
class SettingsView:
    """`marry config`: every setting, its value and where it came from."""

    WHAT: ClassVar[str] = "`marry config`"
    effective: Effective
