"""The feed under concurrent writers on PostgreSQL: a cursor never passes an event that
commits later with a smaller id, and other databases' transactions do not hold it back.

Every wait is bounded (threads join with a timeout, readers poll until a deadline), so a
stuck horizon fails a test instead of hanging the suite.
"""

import random
import threading
import time

import psycopg
import pytest
from django.db import connection, transaction

from integrations import events, feed
from integrations.models import EventType

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TIMEOUT = 30  # seconds


def write(key: str) -> None:
    events.record(EventType.CUSTOMER_CHANGED, ("customer", key), {"key": key})


def read_all(cursor: str | None) -> tuple[list[str], str | None]:
    keys = []
    while True:
        page = feed.page(cursor, limit=500)
        keys += [event.object_id for event in page.events]
        cursor = page.next_cursor or cursor
        if not page.has_more:
            return keys, cursor


def in_thread(work) -> threading.Thread:
    def target():
        try:
            work()
        finally:
            connection.close()

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def test_an_event_committed_late_is_not_skipped_by_a_reader():
    # Given A writes first (smaller id and txid) and stays open while B writes and commits.
    a_wrote, a_may_commit = threading.Event(), threading.Event()

    def writer_a():
        with transaction.atomic():
            write("a")
            a_wrote.set()
            assert a_may_commit.wait(TIMEOUT)

    thread_a = in_thread(writer_a)
    assert a_wrote.wait(TIMEOUT)
    thread_b = in_thread(lambda: transaction.atomic()(write)("b"))
    thread_b.join(TIMEOUT)
    assert not thread_b.is_alive()
    # When a reader reads now, B is committed but held back behind A, still running.
    seen, cursor = read_all(None)
    assert seen == []
    # Then once A commits, both come, A first: no cursor ever passed A.
    a_may_commit.set()
    thread_a.join(TIMEOUT)
    assert not thread_a.is_alive()
    seen, cursor = read_all(cursor)
    assert seen == ["a", "b"]


def test_concurrent_writers_reach_a_polling_reader_once_each():
    writers, per_writer = 4, 15
    expected = {f"w{w}-{i}" for w in range(writers) for i in range(per_writer)}
    seen: list[str] = []
    done = threading.Event()

    def writer(w):
        rng = random.Random(w)
        for i in range(per_writer):
            with transaction.atomic():
                write(f"w{w}-{i}")
                time.sleep(rng.random() / 50)  # commit in an order other than the ids'

    def reader():
        cursor = None
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline and not (done.is_set() and set(seen) >= expected):
            keys, cursor = read_all(cursor)
            seen.extend(keys)
            time.sleep(0.005)

    threads = [in_thread(lambda w=w: writer(w)) for w in range(writers)]
    reading = in_thread(reader)
    for thread in threads:
        thread.join(TIMEOUT)
    done.set()
    reading.join(TIMEOUT)
    assert not reading.is_alive()
    assert len(seen) == len(expected)  # none twice
    assert set(seen) == expected  # none skipped
    for w in range(writers):  # each writer's events in its commit order
        mine = [key for key in seen if key.startswith(f"w{w}-")]
        assert mine == [f"w{w}-{i}" for i in range(per_writer)]


def test_a_long_transaction_in_another_database_does_not_hold_the_feed_back():
    # Given a transaction holding an id in another database of the server (our own
    # development database: the test database's name without its test_ prefix).
    settings = connection.settings_dict
    other = settings["NAME"].removeprefix("test_")
    if other == settings["NAME"]:
        pytest.skip("no other database of ours to open a transaction in")
    try:
        outside = psycopg.connect(
            host=settings["HOST"] or None,
            port=settings["PORT"] or None,
            user=settings["USER"] or None,
            password=settings["PASSWORD"] or None,
            dbname=other,
            connect_timeout=5,
        )
    except psycopg.OperationalError:
        pytest.skip(f"database {other} is not there")
    try:
        with outside.cursor() as cursor:
            cursor.execute("SELECT pg_current_xact_id()")  # assigns an id, stays open
        # When we write and commit an event afterwards.
        transaction.atomic()(write)("after")
        # Then the feed shows it although the older transaction is still open.
        seen, _ = read_all(None)
        assert seen == ["after"]
    finally:
        outside.rollback()
        outside.close()
