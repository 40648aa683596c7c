"""Forwarding as deployed, broken: a real ``portal worker`` (two, at times) posting to a real
``portal receiver``, on PostgreSQL and Redis of the test's own.

What breaks: the receiver down for a while; the receiver answering 500, then stalling past the
POST timeout, then resetting connections; the worker killed with -9 while a batch is in flight,
and again while batches flow; Redis wiped, and PostgreSQL restarted, under the running worker; the
endpoint's secret rotated while batches flow, with an overlap and without; an outage longer than
the limit, whose events are parked as dead and then re-driven, all at once or a later window first.

What must hold afterwards, at the receiver: every event of the declarations filed (each
submission, update and withdrawal, as its (declarationId, version)) is stored, none is a
conflict (an eventId again with other bytes), none arrived after a higher version of its
declaration, each declaration's versions arrived in order; and the endpoint has nothing left
to send, nothing dead.
"""

import asyncio
import datetime
import functools
import json
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from portal.db import migrate
from tests.forwarding.processes import Scene, Services, Worker, admin, scene, until


@pytest.fixture
async def services() -> AsyncIterator[Services]:
    # Outside pytest's basetemp (see tests/conftest.py), and a short path: Redis listens on a
    # Unix socket, whose path may not be longer than 107 bytes.
    folder = Path(tempfile.mkdtemp(prefix="portal-faults-"))
    started = Services(folder)
    try:
        await migrate(started.database.database_url)
        yield started
    finally:
        started.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.timeout(90)
async def test_a_receiver_down_for_a_while_is_sent_everything_once_it_is_back(
    services: Services, tmp_path: Path
) -> None:
    async with scene(services, tmp_path) as filing:
        worker = filing.worker()
        await filing.file_mixed(24)
        await until(filing.received, 30, "a first batch delivered")
        filing.receiver.stop()
        for _ in range(8):  # about 5 s of filing while it is down
            await filing.file_mixed(6)
            await asyncio.sleep(0.5)
        down = await filing.endpoint()
        assert min(down["failureStreak"], down["backlog"]) > 0, down
        assert "ConnectError" in down["lastError"], down
        await filing.receiver.start()
        await filing.all_delivered()
        assert worker.running


@pytest.mark.timeout(90)
async def test_a_receiver_failing_then_stalling_then_resetting_is_sent_everything_once_it_is_ok(
    services: Services, tmp_path: Path
) -> None:
    # A POST unanswered for a second has failed: the stalled receiver never answers in time.
    async with scene(services, tmp_path, timeout_seconds=1.0) as filing:
        worker = filing.worker()
        await filing.file_mixed(12)
        await until(filing.received, 30, "a first batch delivered")
        # Each fault lasts until the worker has met it (the endpoint's last error says it), with
        # declarations filed meanwhile, so that there is always something to send.
        for mode, error in (("fail", "HTTP 500"), ("stall", "ReadTimeout"), ("reset", "ReadError")):
            await filing.receiver.mode(mode)
            await filing.file_mixed(6)
            await until(functools.partial(_failing_with, filing, error), 20, f"the worker met {mode}: {error}")
        await filing.receiver.mode("ok")
        stats = await filing.all_delivered()
        assert stats["failedOnPurpose"] >= 3
        assert worker.running


async def _failing_with(filing: Scene, error: str) -> bool:
    return error in ((await filing.endpoint())["lastError"] or "")


@pytest.mark.timeout(90)
async def test_a_worker_killed_in_the_middle_of_a_batch_leaves_it_to_another_that_sends_it_again(
    services: Services, tmp_path: Path
) -> None:
    # A POST may take 30 s: the stalled batch is still in flight when its worker is killed.
    async with scene(services, tmp_path, timeout_seconds=30.0, batch_size=5) as filing:
        first = filing.worker()
        await filing.file_mixed(12)
        await until(filing.received, 30, "a first batch delivered")
        await filing.receiver.mode("stall")
        await filing.file_mixed(12)
        await until(lambda: _stalled(filing), 20, "a batch in flight, stalled at the receiver")
        second = filing.worker()  # beside the first: it takes the endpoint once the lease has run out
        first.kill()
        await filing.receiver.mode("ok")
        await filing.file_mixed(6)
        await filing.all_delivered()
        # The batch in flight was sent again under the same webhook-id, its events stored then.
        [stalled] = filing.receiver.logged("delivery failed on purpose")
        taken = {line["webhook_id"]: line for line in filing.receiver.logged("batch received")}
        assert taken[stalled["webhook_id"]]["stored"] == taken[stalled["webhook_id"]]["events"] != "0"

        # Killed again while batches flow: a batch the receiver took may not be marked delivered.
        before = await filing.received()
        await filing.file_mixed(60)
        await until(lambda: filing.received_more_than(before + 20), 30, "batches flowing")
        second.kill()
        third = filing.worker()
        await filing.file_mixed(6)
        await filing.all_delivered()  # a batch sent again, replayed at the receiver, harms nothing
        assert third.running


async def _stalled(filing: Scene) -> bool:
    return int((await filing.receiver.stats())["failedOnPurpose"]) > 0


@pytest.mark.timeout(90)
async def test_redis_wiped_under_a_running_worker_loses_nothing(services: Services, tmp_path: Path) -> None:
    async with scene(services, tmp_path) as filing:
        worker = filing.worker()
        await filing.file_mixed(12)
        await until(filing.received, 30, "a first batch delivered")
        # Wiped while a batch is in flight (stalled): its job, the planner's queued jobs and
        # arq's record of them are gone, the endpoint's lease (in PostgreSQL) is not. Down for
        # 2 s, as a restart of Redis takes: longer than the worker's polls are apart.
        await filing.receiver.mode("stall")
        await filing.file_mixed(12)
        await until(lambda: _stalled(filing), 20, "a batch in flight")
        await services.wipe_redis(down_seconds=2)
        await filing.receiver.mode("ok")
        received = await filing.received()
        await filing.file_mixed(12)
        await until(lambda: _sent_or_ended(filing, worker, received), 30, "a batch sent after the wipe")
        assert worker.running, f"the worker ended with Redis: see {worker.log}"
        await filing.all_delivered()


async def _sent_or_ended(filing: Scene, worker: Worker, received: int) -> bool:
    return not worker.running or await filing.received_more_than(received)


@pytest.mark.timeout(90)
async def test_postgres_restarted_under_a_running_worker_loses_nothing(services: Services, tmp_path: Path) -> None:
    # Batches of 2: many batches wait behind the one in flight when PostgreSQL restarts.
    async with scene(services, tmp_path, batch_size=2) as filing:
        worker = filing.worker()
        await filing.file_mixed(12)
        await filing.all_delivered()
        # Restarted with a batch in flight, held by the receiver, and more waiting behind it
        # (were they flowing freely, all might be sent before PostgreSQL stops): the job cannot
        # record what became of the batch, which is sent again once PostgreSQL is back.
        await filing.receiver.mode("stall")
        await filing.file_mixed(36)
        await until(lambda: _stalled(filing), 20, "a batch in flight")
        await services.restart_postgres(down_seconds=2)
        await filing.receiver.mode("ok")
        assert await filing.received() < len(filing.expected()), "all sent before PostgreSQL stopped"
        await filing.file_mixed(12)  # the API's pool connects again too
        await filing.all_delivered()
        assert worker.running


@pytest.mark.timeout(90)
async def test_a_secret_rotated_while_batches_flow_loses_nothing(services: Services, tmp_path: Path) -> None:
    async with scene(services, tmp_path) as filing:
        filing.worker()
        await filing.file_mixed(12)
        await until(filing.received, 30, "a first batch delivered")

        # With an hour's overlap, batches carry a signature with each secret: the receiver that
        # knows only the old one takes them, and then the one that knows only the new one.
        rotated = await filing.authority_post(
            f"/authority/endpoints/{filing.endpoint_id}/rotate-secret", {"overlapHours": 1}
        )
        batches = (await filing.receiver.stats())["batches"]
        await filing.file_mixed(18)
        # Two batches taken: the second was signed after the rotation (one batch at a time).
        await until(lambda: _batches_more_than(filing, batches + 1), 30, "two batches after the rotation")
        await filing.receiver.secrets(rotated["secret"])
        await filing.file_mixed(12)
        await filing.all_delivered()

        # Rotated by `portal admin` without an overlap: refused until the receiver is told.
        output = await admin(
            filing, "rotate-secret", "--endpoint", filing.endpoint_id, "--overlap-hours", "0", "--json"
        )
        await filing.file_mixed(12)
        await until(lambda: _refused(filing), 20, "batches refused: the receiver has the old secret")
        await filing.receiver.secrets(json.loads(output)["secret"])
        await filing.all_delivered(rejections=True)


async def _batches_more_than(filing: Scene, count: int) -> bool:
    return int((await filing.receiver.stats())["batches"]) > count


async def _refused(filing: Scene) -> bool:
    return int((await filing.receiver.stats())["rejected"]["signature"]) > 0


@pytest.mark.timeout(120)
async def test_events_parked_after_an_outage_longer_than_the_limit_are_redriven_in_order(
    services: Services, tmp_path: Path
) -> None:
    # Events not taken for 7.2 s are parked as dead.
    async with scene(services, tmp_path, outage_hours=0.002) as filing:
        filing.worker()
        before = await filing.file_in_bulk(12)
        await until(lambda: filing.received_more_than(11), 30, "the first declarations delivered")
        filing.receiver.stop()
        for declaration_id in before[:6]:
            await filing.update(declaration_id)
        await filing.file_mixed(6)
        outage = len(filing.expected()) - 12
        await until(lambda: _dead(filing, outage), 30, f"the outage's {outage} events parked as dead")
        # Filed after: a declaration with a dead event has its next ones set aside behind it,
        # a new one is sent once the receiver is back.
        for declaration_id in before[:3]:
            await filing.update(declaration_id)
        after = await filing.file_in_bulk(4)
        await filing.receiver.start()
        await until(lambda: filing.received_more_than(15), 30, "the new declarations delivered")
        endpoint = await filing.endpoint()
        assert (endpoint["backlog"], endpoint["dead"]) == (0, outage + 3), endpoint
        # Nothing of the outage was sent, nor anything behind it: the first submissions, the new ones.
        events = await filing.receiver.events()
        assert {(event["declarationId"], event["version"]) for event in events} == {
            (declaration_id, filing.filed[declaration_id][0]) for declaration_id in before + after
        }

        listed = json.loads(await admin(filing, "endpoints", "--json"))
        assert [item["dead"] for item in listed["items"]] == [outage + 3]

        redriven = await filing.authority_post(f"/authority/endpoints/{filing.endpoint_id}/redrive", {})
        assert redriven == {"redriven": outage + 3}
        await filing.all_delivered()


async def _dead(filing: Scene, count: int) -> bool:
    endpoint = await filing.endpoint()
    return bool(endpoint["dead"] == count and endpoint["backlog"] == 0)


@pytest.mark.timeout(90)
async def test_a_redrive_of_a_later_window_keeps_a_declarations_versions_in_order(
    services: Services, tmp_path: Path
) -> None:
    async with scene(services, tmp_path, outage_hours=0.002) as filing:
        filing.worker()
        filing.receiver.stop()
        [declaration_id] = await filing.file_in_bulk(1)
        await until(lambda: _pending(filing), 10, "the submission fed")
        since = datetime.datetime.now(datetime.UTC)  # the update is filed after, the submission before
        await filing.update(declaration_id)
        await until(lambda: _dead(filing, 2), 30, "both parked as dead")
        await filing.receiver.start()
        # The update is in the window, its submission is not: it may not be sent before it.
        await filing.authority_post(f"/authority/endpoints/{filing.endpoint_id}/redrive", {"since": since.isoformat()})
        await until(lambda: _redriven(filing), 20, "the window re-driven")
        await filing.authority_post(f"/authority/endpoints/{filing.endpoint_id}/redrive", {})
        await filing.all_delivered()


async def _pending(filing: Scene) -> bool:
    return bool((await filing.endpoint())["backlog"] > 0)


async def _redriven(filing: Scene) -> bool:
    return await filing.received() > 0 and (await filing.endpoint())["redriving"] == 0
