"""`marry report`: every customer's standing, or one customer in detail."""

from enum import StrEnum
from typing import Annotated

import typer

from marrycli.cli.common import (
    AsOfOption,
    Format,
    FormatOption,
    JsonOption,
    as_of_moment,
    console,
    emit,
    emit_text,
    ledger,
    notice,
    now,
    output_format,
)
from marrycli.domain import Stage
from marrycli.errors import BadInput


class By(StrEnum):
    CUSTOMER = "customer"
    OWNER = "owner"


def report(
    ctx: typer.Context,
    customer: Annotated[
        str | None,
        typer.Option(
            "--customer",
            "-c",
            metavar="NAME",
            help="One customer in detail: why it stands where it does.",
        ),
    ] = None,
    as_of: AsOfOption = None,
    by: Annotated[
        By,
        typer.Option("--by", case_sensitive=False, help="customer, or owner: each owner's record."),
    ] = By.CUSTOMER,
    fmt: FormatOption = Format.TABLE,
    json_: JsonOption = False,
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
    """
    from marrycli import render, service

    fmt = output_format(fmt, json_, csv_ok=customer is None)
    clock = now()
    moment = as_of_moment(as_of, clock)
    if by is By.OWNER:
        if customer is not None:
            raise BadInput("--by owner reports every owner; leave out --customer")
        owners = service.owner_reports(ledger(ctx), as_of=moment)
        if fmt is Format.JSON:
            emit_text(render.to_json(render.owners_document(owners, moment)))
        elif fmt is Format.CSV:
            emit_text(render.owners_csv(owners))
        elif not owners:
            notice("no promises yet")
        else:
            emit(render.owners_table(owners, console()))
        return
    if customer is not None:
        name = service.validate_name("--customer", customer)
        detail = service.report_customer(ledger(ctx), name, as_of=moment)
        if fmt is Format.JSON:
            emit_text(render.to_json(render.customer_detail_document(detail, moment)))
        else:
            emit(*render.customer_detail(detail, moment, console()))
        return
    lines = service.report(ledger(ctx), as_of=moment, trend=fmt is Format.TABLE)
    if fmt is Format.JSON:
        emit_text(render.to_json(render.report_document((line.report for line in lines), moment)))
    elif fmt is Format.CSV:
        emit_text(render.report_csv(line.report for line in lines))
    elif not lines:
        notice("no customers yet; the first `marry promise add` creates one")
    else:
        emit(render.report_table(render.attention_order(lines), console()))


def check(
    ctx: typer.Context,
    customer: Annotated[
        list[str] | None,
        typer.Option(
            "--customer", "-c", metavar="NAME", help="Check only this customer; repeat for more."
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
    from marrycli import render, service
    from marrycli.errors import GateFailed

    fmt = output_format(fmt, json_, csv_ok=False)
    if min_stage is None and min_keep_rate is None and max_overdue is None:
        raise BadInput("no gate given; use --min-stage, --min-keep-rate or --max-overdue")
    if min_keep_rate is not None and not 0 <= min_keep_rate <= 1:
        raise BadInput(f"--min-keep-rate {min_keep_rate:g} is not a fraction from 0 to 1 (0.9)")
    if max_overdue is not None and max_overdue < 0:
        raise BadInput(f"--max-overdue {max_overdue} is negative; give 0 or more")
    clock = now()
    moment = as_of_moment(as_of, clock)
    names = [service.validate_name("--customer", name) for name in customer or []]
    gates = service.Gates(min_stage, min_keep_rate, max_overdue)
    checked, findings = service.check(
        ledger(ctx),
        customers=names,
        gates=gates,
        as_of=moment,
    )
    if fmt is Format.JSON:
        emit_text(render.to_json(render.check_document(findings)))
    else:
        for finding in findings:
            emit_text(render.finding_line(finding))
    customers = f"{checked} customer{'s' if checked != 1 else ''}"
    if findings:
        failing = len({f.customer for f in findings})
        raise GateFailed(f"check failed: {len(findings)} finding(s) for {failing} of {customers}")
    notice(f"check passed: {customers}")
