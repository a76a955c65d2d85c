"""`marry report` (every customer's standing, one customer in detail, or each owner's record)
and `marry check`, the gate for scripts and CI."""

from enum import StrEnum
from typing import Annotated

import typer

from marrycli import rules
from marrycli.cli import completion
from marrycli.cli.common import (
    AsOfOption,
    FormatOption,
    JsonOption,
    PageFormatOption,
    as_of_moment,
    ledger,
    now,
    output_format,
)
from marrycli.cli.output_file import OutputOption, check_output_path, emit_to, ledger_files
from marrycli.domain import Stage
from marrycli.errors import BadInput
from marrycli.render import Format, emit
from marrycli.render.output import notice


class By(StrEnum):
    CUSTOMER = "customer"
    OWNER = "owner"
    TAG = "tag"


def report(
    ctx: typer.Context,
    customer: Annotated[
        str | None,
        typer.Option(
            "--customer",
            "-c",
            metavar="NAME",
            help="One customer in detail: why it stands where it does.",
            autocompletion=completion.customers,
        ),
    ] = None,
    as_of: AsOfOption = None,
    by: Annotated[
        By,
        typer.Option(
            "--by",
            case_sensitive=False,
            help="customer; owner: each owner's record; tag: each tag across customers.",
        ),
    ] = By.CUSTOMER,
    fmt: PageFormatOption = Format.TABLE,
    json_: JsonOption = False,
    output: OutputOption = None,
) -> None:
    """Keep rates, streaks, trust and stage: every customer, or one in detail.

    Customers who need attention (estranged, strained, overdue, or trust falling over
    30 days) come first, marked with !.

    \b
    Examples:
      marry report
      marry report --customer acme
      marry report --as-of 2026-06-30 --format csv > q2.csv
      marry report --by owner
      marry report --by tag --format csv
      marry report --format html --output report.html
    """
    from marrycli.render.views import CustomerReportView, OwnersReport, Report, TagsReport
    from marrycli.service.reports import owner_reports, report_customer, tag_reports
    from marrycli.service.reports import report as report_

    by_view = {By.OWNER: OwnersReport, By.TAG: TagsReport}
    if by in by_view and customer is not None:
        output_format(ctx, by_view[by], fmt, json_)
        raise BadInput(f"--by {by.value} reports every {by.value}; leave out --customer")
    view = by_view.get(by) or (Report if customer is None else CustomerReportView)
    fmt = output_format(ctx, view, fmt, json_)
    if output is not None:
        check_output_path("--output", output, ledger_files(ctx))
    clock = now()
    moment = as_of_moment(as_of, clock)
    shown: object
    if by is By.OWNER:
        shown = OwnersReport(owners=owner_reports(ledger(ctx), as_of=moment), as_of=moment)
    elif by is By.TAG:
        shown = TagsReport(tags=tag_reports(ledger(ctx), as_of=moment), as_of=moment)
    elif customer is not None:
        name = rules.validate_name("--customer", customer)
        detail = report_customer(ledger(ctx), name, as_of=moment)
        shown = CustomerReportView(detail=detail, as_of=moment)
    else:
        lines = report_(
            ledger(ctx),
            as_of=moment,
            trend=fmt in Report.TREND_FORMATS,
            detail=fmt in Report.DETAIL_FORMATS,
        )
        shown = Report(lines=lines, as_of=moment)
    emit_to(ctx, shown, fmt, output)


def check(
    ctx: typer.Context,
    customer: Annotated[
        list[str] | None,
        typer.Option(
            "--customer",
            "-c",
            metavar="NAME",
            help="Check only this customer; repeat for more.",
            autocompletion=completion.customers,
        ),
    ] = None,
    min_stage: Annotated[
        Stage | None,
        typer.Option("--min-stage", case_sensitive=False, help="The least stage each must have."),
    ] = None,
    min_keep_rate: Annotated[
        float | None,
        typer.Option(
            "--min-keep-rate",
            metavar="R",
            help="The least keep rate, a fraction (0.9); nothing resolved passes.",
        ),
    ] = None,
    max_overdue: Annotated[
        int | None,
        typer.Option("--max-overdue", metavar="N", help="The most overdue promises each may have."),
    ] = None,
    as_of: AsOfOption = None,
    fmt: FormatOption = Format.TABLE,
    json_: JsonOption = False,
) -> None:
    """A gate for scripts and CI: exit 1 when a customer fails a check, 0 when all pass.

    Quiet when fine (a one-line summary on stderr); one finding per line when not.

    \b
    Examples:
      marry check --min-stage trusted
      marry check --customer acme --min-keep-rate 0.9 --max-overdue 0 --json
    """
    from marrycli.domain import Gates
    from marrycli.errors import GateFailed
    from marrycli.render.views import CheckResult
    from marrycli.service.reports import check as check_

    fmt = output_format(ctx, CheckResult, fmt, json_)
    if min_stage is None and min_keep_rate is None and max_overdue is None:
        raise BadInput("no gate given; use --min-stage, --min-keep-rate or --max-overdue")
    if min_keep_rate is not None and not 0 <= min_keep_rate <= 1:
        raise BadInput(f"--min-keep-rate {min_keep_rate:g} is not a fraction from 0 to 1 (0.9)")
    if max_overdue is not None and max_overdue < 0:
        raise BadInput(f"--max-overdue {max_overdue} is negative; give 0 or more")
    clock = now()
    moment = as_of_moment(as_of, clock)
    names = [rules.validate_name("--customer", name) for name in customer or []]
    gates = Gates(min_stage=min_stage, min_keep_rate=min_keep_rate, max_overdue=max_overdue)
    checked, findings = check_(
        ledger(ctx),
        customers=names,
        gates=gates,
        as_of=moment,
    )
    emit(CheckResult(findings=findings), fmt)
    customers = f"{checked} customer{'s' if checked != 1 else ''}"
    if findings:
        failing = len({f.customer for f in findings})
        raise GateFailed(f"check failed: {len(findings)} finding(s) for {failing} of {customers}")
    notice(f"check passed: {customers}")
