"""Lanes: how many requests each endpoint may have in flight, shared by every worker.

Each endpoint with due work is a lane. A claim asks for slots (`slots_grant`) before it leases
deliveries, and the slot of each delivery is given back when its outcome is recorded
(`slots_release`). What decides a grant is shared state, never a process's own:

- **Fair share**: while several endpoints have due work, none holds more than its max-min fair
  share of the capacity (the sum of the slots of every worker process dispatching now, each
  registered with a lease): each endpoint's demand is what it holds plus what it has due, up
  to what its window and ceiling let it hold; an endpoint wanting less than an equal part
  keeps what it wants and the rest is shared by the others. An endpoint alone may use them
  all.
- **Round-robin**: free slots are dealt one at a time to the lanes, least recently served
  first, so a lane with a million due deliveries and one with ten both move.
- **Window**: an endpoint's slots grow by one per answer and halve when an attempt goes
  unanswered (timeout, refused connection) or the endpoint says it is overloaded (429, 503),
  as TCP's congestion window does. A hanging or dead endpoint so keeps only a few slots, and
  slots stay free for the others; a healthy one grows to all it may hold within a few round
  trips.
- **`max_in_flight`**: the endpoint's own hard ceiling, across all workers and machines.
- **`rate_limit_per_second`**: a token bucket per endpoint (bursts of at most one second).

Every slot is a lease: one a killed worker never gave back expires with its deliveries' lease,
so its slots come back as its deliveries do. With Redis (`REDIS_URL`) the state is in Redis and
each step is one Lua script; without it (the embedded default) the same rules run on state in
this process.
"""

import logging
import math
import os
import socket
import threading
import time
from dataclasses import dataclass, field

from django.core.cache import cache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# Slots a lane starts with (and comes back to after its state expires).
INITIAL_WINDOW = 16
MAX_WINDOW = 100_000
# Lane state (window, served order, bucket) unused this long is forgotten.
STATE_TTL_SECONDS = 3600
STATE_KEY = "webhooks:lanes"


@dataclass(frozen=True)
class Lane:
    """An endpoint with due work, and its own limits (None: none)."""

    endpoint_id: int
    max_in_flight: int | None = None
    rate_limit_per_second: int | None = None
    # How many deliveries it has due and not leased (counted up to a bound).
    due: int = 1


@dataclass
class Grant:
    """The slots one claim was given: slot ids per endpoint; `throttled` if a rate held one back."""

    slots: dict[int, list[int]]
    throttled: bool = False


@dataclass
class Feedback:
    """What came back for one endpoint's released slots."""

    answered: int = 0
    # Unanswered (timeout, connection failed) or overloaded (429, 503).
    congested: int = 0
    # Slots granted but not used: their rate tokens are refunded.
    unused: int = 0


@dataclass
class GiveBack:
    """Slots of finished requests and what their endpoints answered, not yet given back:
    they go with the next grant (one round trip for both) or by themselves."""

    slots: dict[int, list[int]] = field(default_factory=dict)
    feedback: dict[int, Feedback] = field(default_factory=dict)
    since: float = 0.0  # monotonic time of the oldest one held

    def __bool__(self) -> bool:
        return bool(self.slots or self.feedback)

    def clear(self) -> None:
        self.slots, self.feedback = {}, {}

    def add_unused(self, endpoint_id: int, slots: list[int]) -> None:
        """Slots granted and not used: back, with their rate tokens refunded."""
        self._add(endpoint_id, slots, Feedback(unused=len(slots)))

    def add(self, endpoint_id: int, slot: int, *, answered=0, congested=0) -> None:
        """The slot of a finished request (or one that never went) and what it met."""
        self._add(endpoint_id, [slot], Feedback(answered=answered, congested=congested))

    def _add(self, endpoint_id: int, slots: list[int], said: Feedback) -> None:
        if not self:
            self.since = time.monotonic()
        self.slots.setdefault(endpoint_id, []).extend(slots)
        if said.answered or said.congested or said.unused:
            total = self.feedback.setdefault(endpoint_id, Feedback())
            total.answered += said.answered
            total.congested += said.congested
            total.unused += said.unused


def _worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


_RELEASE_FUNCTION = """
local function release(p, R)
  local initial, max_window, ttl = tonumber(R[1]), tonumber(R[2]), tonumber(R[3])
  local i = 4
  while i <= #R do
    local id, answered, congested, unused, count = R[i], tonumber(R[i + 1]),
      tonumber(R[i + 2]), tonumber(R[i + 3]), tonumber(R[i + 4])
    for k = 1, count do redis.call('ZREM', p .. 'held:' .. id, R[i + 4 + k]) end
    i = i + 5 + count
    local window_key = p .. 'window:' .. id
    local window = tonumber(redis.call('GET', window_key) or initial)
    window = math.min(max_window, window + answered)
    if congested > 0 then window = math.max(1, math.floor(window / 2)) end
    redis.call('SET', window_key, window, 'EX', ttl)
    if unused > 0 and redis.call('EXISTS', p .. 'bucket:' .. id) == 1 then
      redis.call('HINCRBYFLOAT', p .. 'bucket:' .. id, 'tokens', unused)
    end
  end
end
"""

RELEASE_SCRIPT = (
    _RELEASE_FUNCTION
    + """
release(KEYS[1] .. ':', ARGV)
return 1
"""
)

# ARGV: how many release arguments follow, those (the slots given back, released first, in
# the same script), then the grant's own.
GRANT_SCRIPT = (
    _RELEASE_FUNCTION
    + """
local p = KEYS[1] .. ':'
local given = tonumber(ARGV[1])
local R, A = {}, {}
for k = 1, given do R[k] = ARGV[1 + k] end
for k = given + 2, #ARGV do A[k - given - 1] = ARGV[k] end
if given > 0 then release(p, R) end
local now, lease_until = tonumber(A[1]), tonumber(A[2])
local worker, capacity = A[3], tonumber(A[4])
local free, initial, ttl = tonumber(A[5]), tonumber(A[6]), tonumber(A[7])
local n = tonumber(A[8])
redis.call('ZADD', p .. 'workers', lease_until, worker)
redis.call('HSET', p .. 'capacity', worker, capacity)
for _, gone in ipairs(redis.call('ZRANGEBYSCORE', p .. 'workers', '-inf', now)) do
  redis.call('HDEL', p .. 'capacity', gone)
end
redis.call('ZREMRANGEBYSCORE', p .. 'workers', '-inf', now)
local total = 0
for _, slots in ipairs(redis.call('HVALS', p .. 'capacity')) do total = total + tonumber(slots) end
local lanes, throttled = {}, 0
for i = 1, n do
  local at = 8 + 4 * (i - 1)
  local id, cap, rate = A[at + 1], tonumber(A[at + 2]), tonumber(A[at + 3])
  local held_key = p .. 'held:' .. id
  redis.call('ZREMRANGEBYSCORE', held_key, '-inf', now)
  local held = redis.call('ZCARD', held_key)
  local window = tonumber(redis.call('GET', p .. 'window:' .. id) or initial)
  -- A lane can use no more than its window (and ceiling) lets it hold: what it cannot use
  -- is shared by the others (a dead endpoint's thousands due ask for its few slots only).
  local usable = window
  if cap > 0 then usable = math.min(usable, cap) end
  local demand = math.min(held + tonumber(A[at + 4]), math.max(usable, held))
  lanes[i] = {id = id, cap = cap, rate = rate, held = held, window = window, demand = demand}
end
-- Max-min fair shares of the capacity: the smallest demands are met first.
local by_demand = {}
for i = 1, n do by_demand[i] = lanes[i] end
table.sort(by_demand, function(a, b) return a.demand < b.demand end)
local left = total
for k, lane in ipairs(by_demand) do
  lane.share = math.min(lane.demand, math.ceil(left / (n - k + 1)))
  left = math.max(0, left - lane.share)
end
for i = 1, n do
  local lane = lanes[i]
  local id, cap, rate, held = lane.id, lane.cap, lane.rate, lane.held
  local room = math.min(lane.share, lane.window) - held
  if cap > 0 then room = math.min(room, cap - held) end
  local tokens = -1
  if rate > 0 then
    local bucket = redis.call('HMGET', p .. 'bucket:' .. id, 'tokens', 'at')
    local burst = math.max(rate, 1)
    local since = now - tonumber(bucket[2] or now)
    tokens = math.min(burst, tonumber(bucket[1] or burst) + since * rate)
    if math.floor(tokens) < room then room = math.floor(tokens); throttled = 1 end
  end
  lane.room, lane.tokens, lane.given = room, tokens, 0
  lane.served = tonumber(redis.call('ZSCORE', p .. 'served', id) or 0)
end
table.sort(lanes, function(a, b) return a.served < b.served end)
local dealt = true
while free > 0 and dealt do
  dealt = false
  for _, lane in ipairs(lanes) do
    if free > 0 and lane.given < lane.room then
      lane.given = lane.given + 1
      free = free - 1
      dealt = true
    end
  end
end
local out = {throttled}
local turn = redis.call('INCRBY', p .. 'turn', 1)
for i, lane in ipairs(lanes) do
  if lane.given > 0 then
    local last = redis.call('INCRBY', p .. 'slot', lane.given)
    local held_key = p .. 'held:' .. lane.id
    for slot = last - lane.given + 1, last do redis.call('ZADD', held_key, lease_until, slot) end
    redis.call('EXPIRE', held_key, ttl)
    redis.call('ZADD', p .. 'served', turn * 10000 + i, lane.id)
    if lane.tokens >= 0 then
      local bucket_key = p .. 'bucket:' .. lane.id
      local left = tostring(lane.tokens - lane.given)
      redis.call('HSET', bucket_key, 'tokens', left, 'at', tostring(now))
      redis.call('EXPIRE', bucket_key, ttl)
    end
    table.insert(out, tonumber(lane.id))
    table.insert(out, last - lane.given + 1)
    table.insert(out, lane.given)
  end
end
redis.call('EXPIRE', p .. 'served', ttl)
return out
"""
)


class _RedisLanes:
    def grant(
        self,
        *,
        lanes: list[Lane],
        free: int,
        capacity: int,
        lease_seconds: float,
        give_back: "GiveBack | None" = None,
    ) -> Grant:
        now = time.time()
        # The slots given back go first, in the same script: the grant sees them free.
        released = self._release_args(give_back) if give_back else []
        args: list = [
            len(released),
            *released,
            f"{now:.6f}",
            f"{now + lease_seconds:.6f}",
            _worker_id(),
            capacity,
            free,
            INITIAL_WINDOW,
            STATE_TTL_SECONDS,
            len(lanes),
        ]
        for lane in lanes:
            args += [
                lane.endpoint_id,
                lane.max_in_flight or 0,
                lane.rate_limit_per_second or 0,
                lane.due,
            ]
        reply = cache.run_script(GRANT_SCRIPT, keys=[STATE_KEY], args=args)
        slots = {
            int(reply[i]): list(range(int(reply[i + 1]), int(reply[i + 1]) + int(reply[i + 2])))
            for i in range(1, len(reply), 3)
        }
        return Grant(slots=slots, throttled=bool(reply[0]))

    @staticmethod
    def _release_args(give_back: "GiveBack") -> list:
        args: list = [INITIAL_WINDOW, MAX_WINDOW, STATE_TTL_SECONDS]
        for endpoint_id in give_back.slots.keys() | give_back.feedback.keys():
            given_back = give_back.slots.get(endpoint_id, [])
            said = give_back.feedback.get(endpoint_id, Feedback())
            args += [endpoint_id, said.answered, said.congested, said.unused, len(given_back)]
            args += given_back
        return args

    def release(self, *, slots: dict[int, list[int]], feedback: dict[int, Feedback]) -> None:
        args = self._release_args(GiveBack(slots=slots, feedback=feedback))
        cache.run_script(RELEASE_SCRIPT, keys=[STATE_KEY], args=args)


class _LocalLanes:
    """The same rules on this process's state: the embedded default has no Redis to share."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.held: dict[int, dict[int, float]] = {}
        self.window: dict[int, int] = {}
        self.served: dict[int, int] = {}
        self.buckets: dict[int, tuple[float, float]] = {}
        self.next_slot = 0
        self.turn = 0

    def _held(self, endpoint_id: int, now: float) -> dict[int, float]:
        held = self.held.setdefault(endpoint_id, {})
        for slot in [slot for slot, until in held.items() if until <= now]:
            del held[slot]
        return held

    def _demand(self, lane: Lane, now: float) -> int:
        # What the lane has due, up to what its window and ceiling let it hold (as in Lua).
        held = len(self._held(lane.endpoint_id, now))
        usable = self.window.get(lane.endpoint_id, INITIAL_WINDOW)
        if lane.max_in_flight:
            usable = min(usable, lane.max_in_flight)
        return min(held + lane.due, max(usable, held))

    def _room(self, lane: Lane, share: int, now: float) -> tuple[int, bool]:
        held = self._held(lane.endpoint_id, now)
        room = min(share, self.window.get(lane.endpoint_id, INITIAL_WINDOW)) - len(held)
        if lane.max_in_flight:
            room = min(room, lane.max_in_flight - len(held))
        rate = lane.rate_limit_per_second
        if rate:
            burst = max(rate, 1)
            tokens, at = self.buckets.get(lane.endpoint_id, (burst, now))
            tokens = min(burst, tokens + (now - at) * rate)
            self.buckets[lane.endpoint_id] = (tokens, now)
            if math.floor(tokens) < room:
                return math.floor(tokens), True
        return room, False

    def grant(self, *, lanes: list[Lane], free: int, capacity: int, lease_seconds: float) -> Grant:
        now = time.time()
        with self.lock:
            shares = fair_shares(
                demands={lane.endpoint_id: self._demand(lane, now) for lane in lanes},
                capacity=capacity,
            )
            rooms = {}
            throttled = False
            for lane in lanes:
                rooms[lane.endpoint_id], limited = self._room(lane, shares[lane.endpoint_id], now)
                throttled = throttled or limited
            order = sorted(rooms, key=lambda endpoint_id: self.served.get(endpoint_id, 0))
            given = dict.fromkeys(order, 0)
            dealt = True
            while free > 0 and dealt:
                dealt = False
                for endpoint_id in order:
                    if free > 0 and given[endpoint_id] < rooms[endpoint_id]:
                        given[endpoint_id] += 1
                        free -= 1
                        dealt = True
            self.turn += 1
            slots = {}
            for endpoint_id, count in given.items():
                if count <= 0:
                    continue
                # Negative, so never one of the ids Redis hands out.
                slots[endpoint_id] = list(range(self.next_slot - 1, self.next_slot - count - 1, -1))
                self.next_slot -= count
                until = now + lease_seconds
                self.held[endpoint_id].update(dict.fromkeys(slots[endpoint_id], until))
                self.served[endpoint_id] = self.turn
                if endpoint_id in self.buckets:
                    tokens, at = self.buckets[endpoint_id]
                    self.buckets[endpoint_id] = (tokens - count, at)
            return Grant(slots=slots, throttled=throttled)

    def release(self, *, slots: dict[int, list[int]], feedback: dict[int, Feedback]) -> None:
        with self.lock:
            for endpoint_id, given_back in slots.items():
                held = self.held.get(endpoint_id, {})
                for slot in given_back:
                    held.pop(slot, None)
            for endpoint_id, said in feedback.items():
                window = self.window.get(endpoint_id, INITIAL_WINDOW) + said.answered
                if said.congested:
                    window = max(1, window // 2)
                self.window[endpoint_id] = min(MAX_WINDOW, window)
                if said.unused and endpoint_id in self.buckets:
                    tokens, at = self.buckets[endpoint_id]
                    self.buckets[endpoint_id] = (tokens + said.unused, at)


def fair_shares(*, demands: dict[int, int], capacity: int) -> dict[int, int]:
    """Return the max-min fair share of `capacity` of each demand (as the Lua script does)."""
    shares = {}
    left = capacity
    ordered = sorted(demands.items(), key=lambda item: item[1])
    for position, (endpoint_id, demand) in enumerate(ordered):
        shares[endpoint_id] = min(demand, math.ceil(left / (len(ordered) - position)))
        left = max(0, left - shares[endpoint_id])
    return shares


_local = _LocalLanes()


_redis = _RedisLanes()


def _shared() -> bool:
    return hasattr(cache, "run_script")


def slots_grant(
    *,
    lanes: list[Lane],
    free: int,
    capacity: int,
    lease_seconds: float,
    give_back: GiveBack | None = None,
) -> Grant:
    """Give this worker up to `free` slots among `lanes`, by the rules above, after giving
    back `give_back` (in the same round trip).

    While Redis is unreachable, this process's own state decides: deliveries go on (limits
    then hold per process), as they do for everything else the engine keeps in the database.
    """
    if not lanes or free <= 0:
        if give_back:
            slots_release(slots=give_back.slots, feedback=give_back.feedback)
        return Grant(slots={})
    if give_back:
        _local.release(slots=give_back.slots, feedback=give_back.feedback)
    if _shared():
        try:
            return _redis.grant(
                lanes=lanes,
                free=free,
                capacity=capacity,
                lease_seconds=lease_seconds,
                give_back=give_back,
            )
        except (RedisError, OSError):
            logger.warning("Webhooks: Redis unreachable; lanes decided in-process.", exc_info=True)
    return _local.grant(lanes=lanes, free=free, capacity=capacity, lease_seconds=lease_seconds)


def slots_release(*, slots: dict[int, list[int]], feedback: dict[int, Feedback]) -> None:
    """Give slots back, and tell each endpoint's window what its requests met."""
    if not (slots or feedback):
        return
    # Both: a slot granted in-process while Redis was away is given back there, and one
    # granted by Redis there (unknown slots are ignored on each side).
    _local.release(slots=slots, feedback=feedback)
    if _shared():
        try:
            _redis.release(slots=slots, feedback=feedback)
        except (RedisError, OSError):
            # Its slots come back when their lease ends.
            logger.warning("Webhooks: could not give lanes' slots back to Redis.", exc_info=True)
