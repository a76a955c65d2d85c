"""`marry report`: every customer's standing, or one customer in detail."""

from typing import Annotated

import typer

from marrycli.cli.common import (
    Format,
    FormatOption,
    JsonOption,
    console,
    emit,
    emit_text,
    ledger,
    notice,
    now,
    output_format,
    parse_when,
)


def report(
    ctx: typer.Context,
    customer: Annotated[
        str | None,
        typer.Option(
            "--customer", "-c", help="One customer in detail: why it stands where it does."
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", metavar="WHEN", help="The report as it stood then (a bare day: its end)."
        ),
    ] = None,
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
    """
    from marrycli import render, service

    fmt = output_format(fmt, json_, csv_ok=customer is None)
    clock = now()
    when = parse_when("--as-of", as_of, end_of_day=True, at=clock)
    moment = when.instant if when is not None else clock
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
