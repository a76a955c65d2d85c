"""`marry report --format json` is written by json's C encoder (render/report_json.py): the
text is exactly what `to_json` writes of the same document, whatever the names and numbers."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from marrycli.domain import CustomerReport, Stage
from marrycli.formats.jsonl import to_json
from marrycli.render.report_documents import report_document
from marrycli.render.report_json import report_json

AS_OF = datetime(2026, 12, 4, 12, 30, 0, 123456, tzinfo=UTC)

names = st.one_of(
    st.text(max_size=12),
    st.sampled_from(['acme, "inc"', "a\\b", "line\nbreak", "zero\u200bwidth", "\x7f", "Ünïcode ✓"]),
)
rates = st.none() | st.floats(0, 1)
moments = st.none() | st.integers(0, 10**15).map(lambda us: datetime.fromtimestamp(us / 10**6, UTC))


@st.composite
def reports(draw: st.DrawFn) -> CustomerReport:
    count = st.integers(0, 10**6)
    return CustomerReport(
        customer=draw(names),
        promises=draw(count),
        open=draw(count),
        overdue=draw(count),
        kept=draw(count),
        kept_late=draw(count),
        broken=draw(count),
        cancelled=draw(count),
        renegotiated=draw(count),
        keep_rate=draw(rates),
        keep_rate_low=draw(rates),
        streak=draw(count),
        longest_streak=draw(count),
        trust=draw(st.floats(0, 1)),
        distrust=draw(st.floats(0, 1)),
        uncertainty=draw(st.floats(0, 1)),
        stage=draw(st.sampled_from(Stage)),
        since=draw(moments),
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(reports(), max_size=5))
def test_the_report_json_is_what_to_json_writes(listed: list[CustomerReport]) -> None:
    document = report_document(listed, AS_OF)
    assert report_json(document) == to_json(document)


def test_printable_names_take_the_c_encoder(monkeypatch) -> None:
    import marrycli.render.report_json as module

    listed = [
        CustomerReport(name, 3, 1, 0, 2, 0, 0, 0, 0, 1.0, 0.34, 2, 2, 0.5, 0.0, 0.5,
                       Stage.DATING, AS_OF)
        for name in ('acme, "inc"', "a\\b", "Ünïcode ✓", "x: 1,\n")[:3]
    ]  # fmt: skip
    document = report_document(listed, AS_OF)
    expected = to_json(document)
    written: list[object] = []
    monkeypatch.setattr(module, "to_json", lambda d: written.append(d) or to_json(d))
    assert report_json(document) == expected
    assert written == [{"as_of": document["as_of"]}]  # the customers were not written by it
