"""The pure parts of paging and exporting: page order, the memory window, politeness, polling."""

from __future__ import annotations

import random

from audiencelab._export import PageScheduler
from audiencelab._polling import Poller


def drain(scheduler: PageScheduler, order: random.Random) -> list[int]:
    """Fetch pages as the scheduler allows, finishing them in a random order; return write order."""
    written: list[int] = []
    while not scheduler.complete:
        scheduler.startable()
        assert scheduler.in_flight, "stalled"
        page = order.choice(sorted(scheduler.in_flight))
        scheduler.finished(page, str(page).encode())
        for number, payload in scheduler.writable():
            assert payload == str(number).encode()
            written.append(number)
            held = len(scheduler.fetched) + len(scheduler.in_flight)
            assert held <= scheduler.window
    return written


def test_pages_are_written_in_order_whatever_order_they_arrive_in() -> None:
    for seed in range(20):
        scheduler = PageScheduler(first=1, concurrency=8)
        scheduler.startable()  # page 1 alone until the total is known
        assert scheduler.in_flight == {1}
        scheduler.finished(1, b"1")
        assert list(scheduler.writable()) == [(1, b"1")]
        scheduler.set_last(57)
        assert drain(scheduler, random.Random(seed)) == list(range(2, 58))


def test_until_the_total_is_known_pages_go_one_at_a_time() -> None:
    scheduler = PageScheduler(first=1, concurrency=8)
    assert scheduler.startable() == [1]
    assert scheduler.startable() == []
    scheduler.finished(1, b"")
    list(scheduler.writable())
    assert scheduler.startable() == [2]  # walking: no total_pages from the API
    scheduler.finished(2, b"")
    scheduler.end_at(2)
    list(scheduler.writable())
    assert scheduler.complete


def test_concurrency_and_window_are_bounded() -> None:
    scheduler = PageScheduler(first=1, concurrency=4)
    scheduler.set_last(100)
    assert scheduler.startable() == [1, 2, 3, 4]
    # Page 1 is slow: others finish, but no more than the window may be held ahead of the writer.
    for page in (2, 3, 4):
        scheduler.finished(page, b"x")
    started = scheduler.startable()
    assert max(started) <= 1 + scheduler.window - 1
    while True:
        done = [p for p in scheduler.in_flight if p != 1]
        if not done:
            break
        for page in done:
            scheduler.finished(page, b"x")
        if not scheduler.startable():
            break
    assert max(scheduler.fetched) == scheduler.window  # pages 2..8 held while page 1 is missing
    assert list(scheduler.writable()) == []


def test_rate_limits_halve_concurrency_and_calm_grows_it_back() -> None:
    scheduler = PageScheduler(first=1, concurrency=8)
    scheduler.set_last(1000)
    scheduler.throttled()
    assert scheduler.limit == 4
    scheduler.throttled()
    scheduler.throttled()
    scheduler.throttled()
    assert scheduler.limit == 1
    for page in range(1, 3):
        scheduler.finished(page, b"")
    assert scheduler.limit > 1
    for page in range(3, 200):
        scheduler.finished(page, b"")
    assert scheduler.limit == 8


def test_resume_starts_from_the_checkpoint_page() -> None:
    scheduler = PageScheduler(first=41, concurrency=4)
    assert scheduler.startable() == [41]
    scheduler.finished(41, b"")
    list(scheduler.writable())
    scheduler.set_last(43)
    assert scheduler.startable() == [42, 43]


def test_an_early_empty_page_ends_the_export_and_drops_later_pages() -> None:
    scheduler = PageScheduler(first=1, concurrency=4)
    scheduler.set_last(10)
    scheduler.startable()
    scheduler.finished(3, b"late")
    scheduler.finished(1, b"1")
    scheduler.finished(2, b"2")
    written = []
    for number, _ in scheduler.writable():
        written.append(number)
        if number == 2:
            scheduler.end_at(2)  # page 2 said it was the last
    assert written == [1, 2]
    assert scheduler.complete


def test_poller_backs_off_and_stops_at_the_deadline() -> None:
    now = [0.0]
    poller = Poller(timeout=10.0, initial=1.0, factor=2.0, maximum=4.0, clock=lambda: now[0])
    delays = []
    while (delay := poller.next_delay()) is not None:
        delays.append(delay)
        now[0] += delay
    assert delays == [1.0, 2.0, 4.0, 3.0]
    assert now[0] == 10.0
