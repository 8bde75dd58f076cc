"""The review session's ordering, cursor, undo stack and summary (UI-free)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tui_editor.core.review_session import ReviewSession, SessionItem, make_item


def _item(run: str, kind: str = "visual", start: float = 0.0) -> SessionItem:
    return make_item(run, f"clip_{run}", kind, start, {"id": f"a_{run}"})


def test_timeline_order_tracks_then_start() -> None:
    items = [_item("m", "music", 0), _item("n2", "narration", 20), _item("v", "visual", 30)]
    session = ReviewSession([*items, _item("n1", "narration", 10)])
    assert [i.run_id for i in session.items] == ["v", "n1", "n2", "m"]
    assert session.position == (1, 4)


def test_decide_advances_and_summarises() -> None:
    session = ReviewSession([_item("a", start=0), _item("b", start=1), _item("c", start=2)])
    assert session.decide("accept") is not None
    assert session.position == (2, 3)
    session.decide("reject")
    session.decide("skip")
    assert session.finished and session.current is None and session.decide("accept") is None
    assert session.counts() == {"accepted": 1, "rejected": 1, "skipped": 1}
    assert session.summary() == "Review session: 1 accepted · 1 rejected · 1 skipped"


def test_undo_shows_the_item_again() -> None:
    session = ReviewSession([_item("a", start=0), _item("b", start=1)])
    session.decide("accept")
    step = session.undo()
    assert step is not None and step.outcome == "accept" and step.item.run_id == "a"
    assert session.current is not None and session.current.run_id == "a" and session.position == (1, 2)
    assert session.counts()["accepted"] == 0
    assert session.undo() is None


def test_undo_failed_keeps_the_decision() -> None:
    session = ReviewSession([_item("a", start=0), _item("b", start=1)])
    session.decide("reject")
    step = session.undo()
    assert step is not None
    session.undo_failed(step)
    assert session.counts()["rejected"] == 1 and session.current is not None and session.current.run_id == "b"


def test_failed_decision_rejoins_at_the_end() -> None:
    session = ReviewSession([_item("a", start=0), _item("b", start=1), _item("c", start=2)])
    session.decide("accept")
    session.decision_failed("a")
    assert [i.run_id for i in session.items] == ["b", "c", "a"]
    assert session.current is not None and session.current.run_id == "b"
    assert session.counts() == {"accepted": 0, "rejected": 0, "skipped": 0}
    assert session.undo() is None


def test_conflict_counts_as_skipped_and_moves_on() -> None:
    session = ReviewSession([_item("a", start=0), _item("b", start=1)])
    session.decide("accept")
    session.conflict("a")
    assert session.counts() == {"accepted": 0, "rejected": 0, "skipped": 1}
    assert session.current is not None and session.current.run_id == "b"


def test_previews_arriving_join_the_end_once() -> None:
    session = ReviewSession([_item("a", "music", 0)])
    assert session.add(_item("z", "visual", 0))
    assert not session.add(_item("z", "visual", 0))
    assert [i.run_id for i in session.items] == ["a", "z"] and session.total == 2


def test_drop_leaves_out_previews_decided_elsewhere() -> None:
    session = ReviewSession([_item("a", start=0), _item("b", start=1)])
    assert session.drop("b") and session.total == 1
    session.decide("accept")
    assert not session.drop("a")


def test_an_undone_decision_is_not_dropped_by_its_own_late_event() -> None:
    # The reject's event can reach the board after `u` put the item back: it is ours, not "elsewhere".
    session = ReviewSession([_item("a", start=0), _item("b", start=1)])
    session.decide("accept")
    session.decide("reject")
    session.undo()
    assert not session.drop("b")
    assert session.current is not None and session.current.run_id == "b" and session.position == (2, 2)


@given(st.lists(st.sampled_from(["accept", "reject", "skip", "undo", "fail"]), max_size=40))
def test_any_sequence_keeps_the_books(ops: list[str]) -> None:
    session = ReviewSession([_item(str(i), start=float(i)) for i in range(6)])
    for op in ops:
        if op == "undo":
            session.undo()
        elif op == "fail":
            if session.undo_stack:
                session.decision_failed(session.undo_stack[-1].item.run_id)
        else:
            session.decide(op)  # type: ignore[arg-type]
    ids = [i.run_id for i in session.items]
    assert sorted(ids) == sorted(str(i) for i in range(6))  # nothing lost, nothing doubled
    assert 0 <= session.cursor <= session.total
    assert set(session.outcomes) <= set(ids[: session.cursor])
    assert sum(session.counts().values()) == len(session.outcomes)
