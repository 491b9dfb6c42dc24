"""The dispatch loop, a pipeline: claim as slots free, send, record outcomes as they finish.

Each hop has its module in this package: `claims` (what is due, the lease), `lanes` (how many
each endpoint may have in flight), `attempts` (the signed request and its record), `transport`
(the HTTP send), `retry` (the next state), `outcomes` (the writes), `storage/` (their SQL, one
module per database). This one only runs them.

A worker process keeps up to `OMNIFLOW_WEBHOOK_CONCURRENCY` requests in flight: it claims
more whenever a third of its slots are free, gives each lane slot back (with the next grant)
as its answer arrives, and has finished requests recorded in small batches (one transaction
each, on the recorder thread where the database allows: `recorder`) while the others are
still out. No request waits for another, and a slow endpoint holds only the slots its lane
was dealt.
"""

import logging
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from omniflow import metrics
from omniflow.crypto import SecretUnavailable

from . import health, lanes, recorder, storage, transport
from .attempts import attempt_record, request_build
from .claims import BATCH_SIZE, Claim, lease_end
from .outcomes import outcomes_record
from .retry import attempt_settle, delivery_give_up, is_congestion

logger = logging.getLogger(__name__)

# Time kept between the latest a request may start and the end of its lease, beyond the
# request's own timeout (or half the lease margin, when that is shorter).
LEASE_SAFETY_SECONDS = 1.0
# Finished requests are recorded once this many are waiting, or the first has waited this long.
RECORD_BATCH = 128
RECORD_WAIT_SECONDS = 0.03
# While nothing more is claimable (or a rate holds it back), look again this often.
IDLE_POLL_SECONDS = 0.05
# A free slot waits at most this long for the third of them a claim waits for: when slow
# requests free slots one by one, another endpoint's work must not wait for a whole third.
CLAIM_AT_LEAST_EVERY_SECONDS = 0.05
# How long a pipeline reuses the due lanes it read (see _DueLanes).
DUE_LANES_SECONDS = 0.025


def _lease_seconds() -> float:
    return float(settings.OMNIFLOW_WEBHOOK_TIMEOUT_SECONDS) + float(
        settings.OMNIFLOW_WEBHOOK_LEASE_MARGIN_SECONDS
    )


@dataclass
class ClaimRound:
    claims: list[Claim]
    # Work was due but a rate limit held some back: worth asking again soon.
    throttled: bool = False


class _DueLanes:
    """The endpoints with due work, read at most every `DUE_LANES_SECONDS` by a pipeline.

    A claim round takes a few milliseconds and the lanes change far more slowly than that:
    read on every round, they cost a quarter of the dispatcher's time under load. A lane read
    and since run dry only gets slots its claim gives back unused; a newly due endpoint waits
    at most this long to be seen.
    """

    def __init__(self) -> None:
        self.lanes: list[lanes.Lane] = []
        self.read_at = -math.inf

    def read(self, *, store, now) -> list[lanes.Lane]:
        if time.monotonic() - self.read_at >= DUE_LANES_SECONDS:
            self.lanes = store.due_lanes(now=now)
            self.read_at = time.monotonic()
        return self.lanes

    def forget(self) -> None:
        self.read_at = -math.inf


def _claim_round(
    *,
    limit: int,
    capacity: int,
    give_back: lanes.GiveBack,
    due_lanes: _DueLanes | None = None,
) -> ClaimRound:
    """Give `give_back` back, then claim up to `limit`; slots granted and not used go into
    `give_back`, to go back with the next grant."""
    now = timezone.now()
    store = storage.backend()
    due = (due_lanes or _DueLanes()).read(store=store, now=now)
    grant = lanes.slots_grant(
        lanes=due,
        free=limit,
        capacity=capacity,
        lease_seconds=_lease_seconds(),
        give_back=give_back,
    )
    give_back.clear()
    if not grant.slots:
        if due_lanes is not None and not due:
            due_lanes.forget()  # nothing was due: the next round looks afresh
        return ClaimRound(claims=[], throttled=grant.throttled)
    quotas = {endpoint_id: len(slots) for endpoint_id, slots in grant.slots.items()}
    try:
        # Committed relaxed by the backend: a lease lost in a database crash only means the
        # delivery may go out twice, which at-least-once allows.
        claims = store.claim_due(quotas=quotas, now=now, lease=lease_end(now=now))
    except BaseException:
        lanes.slots_release(slots=grant.slots, feedback={})
        raise
    if due_lanes is not None and not claims:
        due_lanes.forget()  # the lanes read ran dry: read them again next round
    for claim in claims:
        claim.slot = grant.slots[claim.endpoint_id].pop()
    for endpoint_id, slots in grant.slots.items():
        if slots:
            give_back.add_unused(endpoint_id, slots)
    return ClaimRound(claims=claims, throttled=grant.throttled)


def deliveries_claim(*, limit: int = BATCH_SIZE) -> list[Claim]:
    """Lease up to `limit` due deliveries to this worker, fairly across endpoints."""
    unused = lanes.GiveBack()
    claims = _claim_round(limit=limit, capacity=_capacity(), give_back=unused).claims
    lanes.slots_release(slots=unused.slots, feedback=unused.feedback)
    return claims


def _capacity() -> int:
    return int(settings.OMNIFLOW_WEBHOOK_CONCURRENCY)


@dataclass
class DispatchReport:
    batches: int = 0  # claims that leased something
    deliveries: int = 0
    last_batch_full: bool = False


class _Pipeline:
    """This run's requests in flight and finished ones waiting to be recorded."""

    def __init__(self) -> None:
        self.sender = transport.sender()
        self.concurrency = self.sender.concurrency
        self.in_flight: dict[int, tuple[Claim, transport.Request]] = {}
        # (claim, request, result); no request or result: given up or put back unsent.
        self.finished: list[tuple[Claim, transport.Request | None, transport.Result | None]] = []
        self.first_finished_at = 0.0
        margin = float(settings.OMNIFLOW_WEBHOOK_LEASE_MARGIN_SECONDS)
        timeout = float(settings.OMNIFLOW_WEBHOOK_TIMEOUT_SECONDS)
        self.lease_needed = timeout + min(LEASE_SAFETY_SECONDS, margin / 2)
        # Set when a claim found nothing more to take: look again at this time, or as soon
        # as a record gives slots back (windows and shares move then).
        self.idle_until = 0.0
        # Where the database allows, outcomes are written on a thread beside this one.
        self.recorder = recorder.beside(_batch_write)
        # Slots of finished requests, given back with the next grant.
        self.give_back = lanes.GiveBack()
        self.due_lanes = _DueLanes()
        self.writes_seen = self.recorder.writes if self.recorder is not None else 0

    @property
    def free(self) -> int:
        return self.concurrency - len(self.in_flight)

    def start(self, claims: list[Claim], *, fresh: bool = True) -> None:
        """Send what `claims` need now; put back those whose lease is too short to finish in.

        Fresh claims (just leased, one per free slot) always go, so every round progresses
        however slow the database was to lease them.
        """
        now = timezone.now()
        secrets: dict[int, tuple[str, str]] = {}
        requests = []
        for claim in claims:
            if health.claim_held(delivery=claim):
                pass  # paused since it was released: held again, recorded unsent
            elif not fresh and (claim.claimed_until - now).total_seconds() < self.lease_needed:
                # Its turn came too late to finish within the lease: back to the queue.
                claim.locked_until = None
            else:
                try:
                    request = request_build(delivery=claim, secrets=secrets, now=now)
                except SecretUnavailable as exc:
                    delivery_give_up(delivery=claim, error=str(exc), now=now)
                else:
                    self.in_flight[claim.id] = (claim, request)
                    requests.append(request)
                    continue
            self._finish(claim, None, None)
        if requests:
            self.sender.start(requests)

    def _finish(self, claim, request, result) -> None:
        if not self.finished:
            self.first_finished_at = time.monotonic()
        self.finished.append((claim, request, result))
        if claim.slot is not None:
            # Its request is over (or never went): the slot is free for the next grant, before
            # the outcome is written (a resource's next delivery still waits for that).
            congested = result is not None and is_congestion(result)
            answered = result is not None and not congested
            self.give_back.add(
                claim.endpoint_id, claim.slot, answered=int(answered), congested=int(congested)
            )
            claim.slot = None

    def give_back_due(self) -> bool:
        """Tell whether slots have waited long enough for a grant to carry them back."""
        return bool(self.give_back) and (
            time.monotonic() - self.give_back.since >= CLAIM_AT_LEAST_EVERY_SECONDS
        )

    def give_back_now(self) -> None:
        if self.give_back:
            lanes.slots_release(slots=self.give_back.slots, feedback=self.give_back.feedback)
            self.give_back.clear()

    def collect(self, *, wait: float) -> None:
        """Take the results finished so far, waiting up to `wait` seconds for one."""
        for result in self.sender.finished(wait=wait):
            # A result of an earlier run that ended by an error is nobody's: skipped.
            if (sent := self.in_flight.pop(result.delivery_id, None)) is not None:
                self._finish(*sent, result)
        if self.recorder is not None and self.recorder.writes != self.writes_seen:
            self.writes_seen = self.recorder.writes
            self.idle_until = 0.0  # a write gave slots back and made successors due

    def record_due(self) -> bool:
        if self.recorder is not None:
            return bool(self.finished)  # at once: the recorder batches what piles up
        return bool(self.finished) and (
            len(self.finished) >= RECORD_BATCH
            or not self.in_flight
            or time.monotonic() - self.first_finished_at >= RECORD_WAIT_SECONDS
        )

    def wait_for_record(self) -> float:
        if not self.finished:
            return IDLE_POLL_SECONDS
        return max(0.0, self.first_finished_at + RECORD_WAIT_SECONDS - time.monotonic())

    def record(self) -> None:
        """Write the finished deliveries' outcomes (or hand them to the recorder thread)."""
        if not self.finished:
            return
        batch, self.finished = self.finished, []
        if self.recorder is not None:
            self.recorder.hand_over(batch)
            return
        _batch_write(batch)
        self.idle_until = 0.0

    def recording(self) -> bool:
        """Tell whether outcomes handed over are still being written (their successors and
        slots come free when they are)."""
        return self.recorder is not None and self.recorder.busy()

    def idle(self) -> None:
        """Nothing in flight: wait for the recorder's writes, or until the idle time is over."""
        if self.recording():
            self.recorder.wait(timeout=max(0.0, self.idle_until - time.monotonic()))
            self.idle_until = 0.0  # written: successors and slots may be free now
        else:
            time.sleep(max(0.0, self.idle_until - time.monotonic()))

    def drain(self) -> None:
        """Wait for every request in flight and record them all."""
        while self.in_flight:
            self.collect(wait=self.wait_for_record())
            if self.record_due():
                self.record()
        self.record()
        self.give_back_now()
        if self.recorder is not None:
            self.recorder.wait()


def _batch_write(batch: list[tuple[Claim, transport.Request | None, transport.Result | None]]):
    """Write a batch's outcomes and attempts in one transaction (its slots went back as each
    request finished)."""
    now = timezone.now()
    attempts, outcomes = [], []
    for claim, request, result in batch:
        if result is None:
            continue
        error = attempt_settle(delivery=claim, result=result, now=now)
        attempts.append(attempt_record(request=request, result=result, error=error, now=now))
        outcomes.append((claim.status, result.duration_ms / 1000))
    outcomes_record(deliveries=[claim for claim, _, _ in batch], attempts=attempts)
    if outcomes:
        metrics.count_many(metrics.attempt_fields(outcomes))


def deliveries_send(*, deliveries: list[Claim]) -> None:
    """Send claimed deliveries, as many at a time as there are slots, and record every outcome."""
    pipeline = _Pipeline()
    pending: Iterator[Claim] = iter(deliveries)
    try:
        exhausted = False
        fresh = True
        while True:
            free = pipeline.free
            batch = [claim for _, claim in zip(range(free), pending, strict=False)]
            exhausted = exhausted or len(batch) < free
            pipeline.start(batch, fresh=fresh)
            fresh = False
            if not pipeline.in_flight:
                if exhausted:
                    break
                continue  # all of this batch was put back or given up: take the next
            pipeline.collect(wait=pipeline.wait_for_record())
            if pipeline.record_due():
                pipeline.record()
    finally:
        pipeline.drain()


def deliveries_dispatch(
    *,
    batch_size: int = BATCH_SIZE,
    time_budget_seconds: float = 60.0,
    on_full_batch: Callable[[], None] | None = None,
) -> DispatchReport:
    """Keep requests in flight until nothing is due or the time budget is spent.

    Claims no more than `batch_size` at a time. `on_full_batch` is called whenever a claim
    came back with all it asked for: more is due than this process sends alone, so the caller
    may ask other processes to join.
    """
    report = DispatchReport()
    pipeline = _Pipeline()
    refill = max(1, pipeline.concurrency // 3)
    started = time.monotonic()
    claimed_at = 0.0
    try:
        while time.monotonic() - started <= time_budget_seconds:
            free = min(pipeline.free, batch_size)
            claimable = free >= refill or (
                free > 0
                and (
                    not pipeline.in_flight
                    or time.monotonic() - claimed_at >= CLAIM_AT_LEAST_EVERY_SECONDS
                )
            )
            if claimable and time.monotonic() >= pipeline.idle_until:
                claimed_at = time.monotonic()
                over = _claim_and_start(pipeline, report, limit=free, on_full=on_full_batch)
                if over:
                    break
            elif pipeline.give_back_due():
                pipeline.give_back_now()  # no grant soon to carry them
            if pipeline.in_flight:
                pipeline.collect(wait=pipeline.wait_for_record())
            if pipeline.record_due():
                pipeline.record()
            elif not pipeline.in_flight:
                pipeline.idle()
    finally:
        pipeline.drain()
    if report.deliveries:
        logger.info("Webhooks: sent %s deliveries in %s claims", report.deliveries, report.batches)
    return report


def _claim_and_start(
    pipeline: _Pipeline,
    report: DispatchReport,
    *,
    limit: int,
    on_full: Callable[[], None] | None,
) -> bool:
    """Claim up to `limit` and send them; return whether the run is over (nothing left)."""
    # Read before the claim: a write the recorder finishes while the claim runs may commit
    # successors the claim did not see, so it too keeps the run going.
    was_recording = pipeline.recording()
    claim_round = _claim_round(
        limit=limit,
        capacity=pipeline.concurrency,
        give_back=pipeline.give_back,
        due_lanes=pipeline.due_lanes,
    )
    claims = claim_round.claims
    report.last_batch_full = len(claims) == limit
    if report.last_batch_full and on_full is not None:
        on_full()
    if claims:
        report.batches += 1
        report.deliveries += len(claims)
        pipeline.start(claims)
    if not report.last_batch_full:
        pipeline.idle_until = time.monotonic() + IDLE_POLL_SECONDS
    # Nothing claimable, no rate holding any back, nothing out or being written (a write
    # makes its deliveries' successors due): this run is done.
    return (
        not claims
        and not claim_round.throttled
        and not pipeline.in_flight
        and not was_recording
        and not pipeline.recording()
    )
