"""Domain objects shared by every layer: the ledger's promises, events and enums
(`domain.promises`) and what the service returns (`domain.results`), all immutable.

Everything is imported from `marrycli.domain`; the two modules only keep each file a size
one can read.
"""

from marrycli.domain.promises import (
    EPOCH as EPOCH,
)
from marrycli.domain.promises import (
    RANK_SHIFT as RANK_SHIFT,
)
from marrycli.domain.promises import (
    Amendment as Amendment,
)
from marrycli.domain.promises import (
    Event as Event,
)
from marrycli.domain.promises import (
    EventKind as EventKind,
)
from marrycli.domain.promises import (
    Period as Period,
)
from marrycli.domain.promises import (
    Promise as Promise,
)
from marrycli.domain.promises import (
    PromiseState as PromiseState,
)
from marrycli.domain.promises import (
    Scorable as Scorable,
)
from marrycli.domain.promises import (
    ScoredEvent as ScoredEvent,
)
from marrycli.domain.promises import (
    Size as Size,
)
from marrycli.domain.promises import (
    Stage as Stage,
)
from marrycli.domain.promises import (
    Standing as Standing,
)
from marrycli.domain.promises import (
    Status as Status,
)
from marrycli.domain.promises import (
    Value as Value,
)
from marrycli.domain.promises import (
    customer_key as customer_key,
)
from marrycli.domain.promises import (
    fold_name as fold_name,
)
from marrycli.domain.promises import (
    from_micros as from_micros,
)
from marrycli.domain.promises import (
    occurrence_id as occurrence_id,
)
from marrycli.domain.promises import (
    to_micros as to_micros,
)
from marrycli.domain.results import (
    AgendaItem as AgendaItem,
)
from marrycli.domain.results import (
    Assessment as Assessment,
)
from marrycli.domain.results import (
    Contribution as Contribution,
)
from marrycli.domain.results import (
    CustomerDetail as CustomerDetail,
)
from marrycli.domain.results import (
    CustomerProfile as CustomerProfile,
)
from marrycli.domain.results import (
    CustomerReport as CustomerReport,
)
from marrycli.domain.results import (
    CustomerSummary as CustomerSummary,
)
from marrycli.domain.results import (
    CustomerValues as CustomerValues,
)
from marrycli.domain.results import (
    Finding as Finding,
)
from marrycli.domain.results import (
    Gates as Gates,
)
from marrycli.domain.results import (
    ImportCounts as ImportCounts,
)
from marrycli.domain.results import (
    LedgerInfo as LedgerInfo,
)
from marrycli.domain.results import (
    LineResult as LineResult,
)
from marrycli.domain.results import (
    NextStage as NextStage,
)
from marrycli.domain.results import (
    OwnerReport as OwnerReport,
)
from marrycli.domain.results import (
    ProfileEntry as ProfileEntry,
)
from marrycli.domain.results import (
    Recorded as Recorded,
)
from marrycli.domain.results import (
    ReportLine as ReportLine,
)
from marrycli.domain.results import (
    SeriesRecord as SeriesRecord,
)
from marrycli.domain.results import (
    TagReport as TagReport,
)
from marrycli.domain.results import (
    TagValues as TagValues,
)
from marrycli.domain.results import (
    TimelinePoint as TimelinePoint,
)
from marrycli.domain.results import (
    Timing as Timing,
)
from marrycli.domain.results import (
    WhatIf as WhatIf,
)
