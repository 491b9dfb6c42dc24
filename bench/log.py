#!/usr/bin/env python
"""The deliveries log at scale, run by hand: `.venv/bin/python bench/log.py`.

Loads `--deliveries` (default 10,000,000) deliveries into its own database with SQL
(generate_series, into the tables `migrate` created, the indexes rebuilt from their own
definitions afterwards): two deliveries per event, each with its attempts (one per succeeded
delivery, three per failed one), 2% failed, the newest few pending or retrying, spread over
30 days; four endpoints in the bench workspace (one of them rare: ~0.05% of its deliveries)
and a second workspace interleaved (10% of the events). The load is kept: a later run with
the same `--deliveries` skips it (`--reload` forces it).

Then it times, with a real API key (`GET /api/v1/webhook-deliveries`) and a logged-in client
(Settings → Deliveries), every filter the log offers, the next page, and the lookups by event
id, delivery id and resource, `--requests` sequential requests each (in process, through the
whole middleware stack), and prints p50/p95 per case against the goal (p95 < 100 ms), then
EXPLAIN (ANALYZE, BUFFERS) of the log query of each case (of every query in `--explain-file`).
"""

import argparse
import math
import os
import re
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import configure  # noqa: E402 - importable once the root is on the path

GOAL_P95_MS = 100.0
DAYS = 30
# Fixed, so that a kept load and a later run agree on what "day 15" is.
START = datetime(2026, 1, 1, tzinfo=UTC)
MAIN_SLUG, OTHER_SLUG = "bench-log", "bench-log-other"
TABLES = ("webhooks_webhookevent", "webhooks_webhookdelivery", "webhooks_webhookdeliveryattempt")
EVENT_TYPE_SQL = """CASE
    WHEN h < 300 THEN 'ticket.created' WHEN h < 550 THEN 'ticket.status_changed'
    WHEN h < 750 THEN 'conversation.created' WHEN h < 900 THEN 'conversation.resolved'
    WHEN h < 960 THEN 'automation.triggered' WHEN h < 990 THEN 'scorecard.created'
    WHEN h < 998 THEN 'training_attempt.completed' ELSE 'agent.published' END"""
RESOURCE_TYPE_SQL = """CASE
    WHEN h < 550 THEN 'ticket' WHEN h < 960 THEN 'conversation' WHEN h < 990 THEN 'scorecard'
    WHEN h < 998 THEN 'training_attempt' ELSE 'agent' END"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deliveries", type=int, default=10_000_000)
    parser.add_argument("--chunk-events", type=int, default=250_000)
    parser.add_argument("--requests", type=int, default=25)
    parser.add_argument("--reload", action="store_true", help="load again even if loaded")
    parser.add_argument("--only", default="", help="run only the cases whose name has this")
    parser.add_argument("--explain-file", default="bench-log-explain.txt")
    parser.add_argument(
        "--no-migrate",
        action="store_true",
        help="leave the schema as it is (to time the log before a new index's migration)",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/omniflow_bench_log"
        ),
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
    )
    return parser.parse_args()


def configure_without_migrating(args: argparse.Namespace) -> None:
    """Set Django up on the bench database as `harness.configure` does, but migrate nothing."""
    os.environ.update(
        DJANGO_SETTINGS_MODULE="omniflow.settings",
        DATABASE_URL=args.database_url,
        REDIS_URL=args.redis_url,
        SECRET_KEY=os.environ.get("SECRET_KEY", "bench-secret-key"),
        DEBUG="false",
        LOG_LEVEL="WARNING",
    )
    import django

    django.setup()


# --- The load --------------------------------------------------------------------------------


def bench_setup() -> dict:
    """Return the bench workspaces and endpoints, created when missing."""
    from webhooks.events import EVENT_TYPES
    from webhooks.models import WebhookEndpoint
    from workspaces.models import Workspace

    def workspace(slug):
        return Workspace.objects.get_or_create(slug=slug, defaults={"name": slug})[0]

    def endpoint(ws, name, event_types=EVENT_TYPES):
        url = f"https://{name}.example.com/hooks"
        found = WebhookEndpoint.objects.filter(workspace=ws, url=url).first()
        return found or WebhookEndpoint.objects.create(
            workspace=ws, url=url, event_types=list(event_types)
        )

    main, other = workspace(MAIN_SLUG), workspace(OTHER_SLUG)
    return {
        "main": main,
        "other": other,
        "e1": endpoint(main, "crm"),
        "e2": endpoint(main, "warehouse"),
        "e3": endpoint(main, "analytics"),
        "rare": endpoint(main, "rare-audit"),
        "o1": endpoint(other, "other-crm"),
        "o2": endpoint(other, "other-analytics"),
    }


def loaded(cursor, deliveries: int) -> bool:
    cursor.execute("SELECT max(id) FROM webhooks_webhookdelivery")
    return (cursor.fetchone()[0] or 0) >= deliveries


def load(cursor, ids: dict, *, deliveries: int, chunk_events: int) -> None:
    """Fill the three tables with SQL, indexes dropped meanwhile and rebuilt after."""
    started = time.monotonic()
    cursor.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
    # The indexes migrate made, except those behind constraints (primary keys, unique ids).
    cursor.execute(
        """SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s)
           AND indexname NOT IN (SELECT conname FROM pg_constraint)""",
        [list(TABLES)],
    )
    indexes = cursor.fetchall()
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    # The rows are consistent by construction: skip the per-row foreign-key triggers.
    cursor.execute("SET session_replication_role = replica")
    cursor.execute("SET synchronous_commit = off")
    events = deliveries // 2
    for first in range(1, events + 1, chunk_events):
        last = min(events, first + chunk_events - 1)
        load_chunk(cursor, ids, first=first, last=last, deliveries=deliveries)
        cursor.connection.commit()
        print(
            f"    loaded {2 * last:,} deliveries ({time.monotonic() - started:,.0f} s)",
            flush=True,
        )
    cursor.execute("SET session_replication_role = DEFAULT")
    cursor.execute("SET maintenance_work_mem = '512MB'")
    for name, definition in indexes:
        cursor.execute(definition)
        cursor.connection.commit()
        print(f"    rebuilt {name} ({time.monotonic() - started:,.0f} s)", flush=True)
    for table, column in [
        ("webhooks_webhookevent", "id"),
        ("webhooks_webhookdelivery", "id"),
        ("webhooks_webhookdeliveryattempt", "id"),
    ]:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
            f"(SELECT max({column}) FROM {table}))"
        )
    cursor.connection.commit()
    cursor.connection.autocommit = True
    for table in TABLES:
        cursor.execute(f"VACUUM (ANALYZE) {table}")
    cursor.connection.autocommit = False
    print(f"    load done in {time.monotonic() - started:,.0f} s", flush=True)


def load_chunk(cursor, ids: dict, *, first: int, last: int, deliveries: int) -> None:
    seconds_per_delivery = DAYS * 86400 / deliveries
    params = {
        "first": first,
        "last": last,
        "start": START,
        "step": seconds_per_delivery,
        "main": ids["main"].id,
        "other": ids["other"].id,
        "main_slug": MAIN_SLUG,
        "other_slug": OTHER_SLUG,
    }
    # h spreads the event types (and so the resource types) evenly over the ids.
    cursor.execute(
        f"""
        INSERT INTO webhooks_webhookevent (id, public_id, workspace_id, event_type,
            resource_type, resource_id, data, previous_attributes, body, is_test, created_at)
        SELECT e, 'evt_' || left(md5(e::text), 24),
            CASE WHEN e %% 10 = 0 THEN %(other)s ELSE %(main)s END,
            {EVENT_TYPE_SQL}, {RESOURCE_TYPE_SQL}, ((e * 7919) %% 200000)::text,
            jsonb_build_object('id', ((e * 7919) %% 200000)::text, 'status', 'open'),
            NULL,
            '{{"id":"evt_' || left(md5(e::text), 24) || '","type":"' || {EVENT_TYPE_SQL}
                || '","created_at":"' || to_char(at, 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
                || '","workspace":"' || CASE WHEN e %% 10 = 0 THEN %(other_slug)s
                ELSE %(main_slug)s END || '","data":{{"id":"'
                || ((e * 7919) %% 200000)::text || '","status":"open"}}}}',
            false, at
        FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS e,
            LATERAL (SELECT (e * 761) %% 1000 AS h,
                %(start)s::timestamptz + (2 * e - 1) * %(step)s * interval '1 second' AS at) k
        """,
        params,
    )
    cursor.execute(
        """
        INSERT INTO webhooks_webhookdelivery (id, event_id, endpoint_id, workspace_id,
            event_type, resource_type, resource_id, replay_of_id, status, attempt_count,
            first_attempted_at, next_attempt_at, locked_until, last_status_code, last_error,
            succeeded_at, failed_at, created_at)
        SELECT d, e.id, CASE
                WHEN e.workspace_id = %(other)s THEN CASE WHEN d %% 2 = 1 THEN %(o1)s
                    ELSE %(o2)s END
                WHEN d %% 2 = 1 THEN CASE WHEN e.id %% 3 = 0 THEN %(e1)s ELSE %(e2)s END
                WHEN e.id %% 1000 = 7 THEN %(rare)s ELSE %(e3)s END,
            e.workspace_id, e.event_type, e.resource_type, e.resource_id, NULL, s.status,
            CASE s.status WHEN 'failed' THEN 3 WHEN 'succeeded' THEN 1 WHEN 'retrying' THEN 2
                ELSE 0 END,
            CASE WHEN s.status <> 'pending' THEN e.created_at END,
            e.created_at + CASE WHEN s.status = 'retrying' THEN interval '5 minutes'
                ELSE interval '0' END,
            NULL,
            CASE s.status WHEN 'failed' THEN 503 WHEN 'succeeded' THEN 200 WHEN 'retrying'
                THEN 500 END,
            CASE WHEN s.status IN ('failed', 'retrying') THEN 'HTTP 503' ELSE '' END,
            CASE WHEN s.status = 'succeeded' THEN e.created_at + interval '80 ms' END,
            CASE WHEN s.status = 'failed' THEN e.created_at + interval '1 day' END,
            e.created_at
        FROM webhooks_webhookevent e,
            LATERAL (VALUES (2 * e.id - 1), (2 * e.id)) AS dd(d),
            LATERAL (SELECT CASE WHEN d > %(deliveries)s - 100 THEN 'pending'
                WHEN d > %(deliveries)s - 1000 AND d %% 5 = 0 THEN 'retrying'
                WHEN d %% 50 = 0 THEN 'failed' ELSE 'succeeded' END AS status) s
        WHERE e.id BETWEEN %(first)s AND %(last)s
        """,
        {**params, **{k: v.id for k, v in ids.items()}, "deliveries": deliveries},
    )
    cursor.execute(
        """
        INSERT INTO webhooks_webhookdeliveryattempt (delivery_id, request_headers,
            request_body, response_status_code, response_headers, response_body, duration_ms,
            error, created_at)
        SELECT d.id, '{"content-type": "application/json", "user-agent": "Omniflow-Webhooks"}',
            '{"id":"evt_bench"}', d.last_status_code, '{"content-type": "text/plain"}',
            CASE WHEN d.status = 'succeeded' THEN 'ok' ELSE 'unavailable' END,
            40 + d.id %% 200, d.last_error, d.created_at + n * interval '1 minute'
        FROM webhooks_webhookdelivery d, generate_series(1, d.attempt_count) AS n
        WHERE d.id BETWEEN 2 * %(first)s - 1 AND 2 * %(last)s
        """,
        params,
    )


# --- The measurements ------------------------------------------------------------------------


def clients(ids: dict):
    """Return (API client with a real key, logged-in Settings client)."""
    from django.test import Client

    from apikeys.models import ApiKey
    from apikeys.scopes import ALL_SCOPES
    from apikeys.services import api_key_create, api_key_revoke
    from workspaces.models import Membership
    from workspaces.services import member_add

    for old in ApiKey.objects.filter(workspace=ids["main"], revoked_at__isnull=True):
        api_key_revoke(api_key=old, actor=None)
    _, plaintext = api_key_create(
        workspace=ids["main"],
        name="bench-log",
        scopes=list(ALL_SCOPES),
        tier="custom",
        custom_rate="1000000000/m",
    )
    api = Client(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    membership = Membership.objects.filter(workspace=ids["main"]).first() or member_add(
        workspace=ids["main"], email="bench-log@example.com", password=None, role="support"
    )
    page = Client()
    page.force_login(membership.user)
    return api, page


def sample_values(ids: dict) -> dict:
    """Return ids the lookups look for: real rows of the bench workspace, and one of the other."""
    from webhooks.models import WebhookDelivery

    main = WebhookDelivery.objects.filter(workspace=ids["main"])
    newest = WebhookDelivery.objects.order_by("-id").values_list("id", flat=True)[0]
    middle = main.filter(id__lt=newest // 2)
    delivery = middle.select_related("event").order_by("-id").first()
    other = (
        WebhookDelivery.objects.filter(workspace=ids["other"])
        .select_related("event")
        .order_by("-id")
        .first()
    )
    return {"delivery": delivery, "other": other}


def cases(ids: dict, samples: dict) -> list[tuple[str, dict]]:
    """Return (name, query) of every case, as the API names the filters."""
    delivery = samples["delivery"]
    day = lambda n: (START + timedelta(days=n)).strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    return [
        ("newest", {}),
        ("next page", {"_next": "1"}),
        ("status=failed", {"status": "failed"}),
        ("status=succeeded", {"status": "succeeded"}),
        ("status=retrying", {"status": "retrying"}),
        ("endpoint (common)", {"endpoint": ids["e1"].id}),
        ("endpoint (rare)", {"endpoint": ids["rare"].id}),
        ("event_type (common)", {"event_type": "ticket.created"}),
        ("event_type (rare)", {"event_type": "agent.published"}),
        ("failed + event_type", {"status": "failed", "event_type": "ticket.created"}),
        ("failed + rare endpoint", {"status": "failed", "endpoint": ids["rare"].id}),
        ("created_after (last day)", {"created_after": day(DAYS - 1)}),
        ("created_before (day 10)", {"created_before": day(10)}),
        ("created day 14-15", {"created_after": day(14), "created_before": day(15)}),
        (
            "resource (type + id)",
            {"resource_type": delivery.resource_type, "resource_id": delivery.resource_id},
        ),
        ("lookup: event id", {"search": delivery.event.public_id}),
        ("lookup: delivery id", {"search": str(delivery.id)}),
        ("lookup: resource", {"search": f"{delivery.resource_type}:{delivery.resource_id}"}),
        ("lookup: other workspace's event", {"search": samples["other"].event.public_id}),
    ]


API_PATH = "/api/v1/webhook-deliveries"
PAGE_PATH = "/settings/deliveries/"
PAGE_NAMES = {"endpoint": "endpoint"}


def next_urls(api, page) -> tuple[str, str]:
    """Return the second page's URL in the API and on the Settings page."""
    response = api.get(API_PATH, secure=True)
    api_next = response.json()["next"]
    html = page.get(PAGE_PATH, secure=True).content.decode()
    match = re.search(r'href="(\?[^"]*before=\d+[^"]*)"', html)
    page_next = PAGE_PATH + match.group(1).replace("&amp;", "&") if match else PAGE_PATH
    return api_next, page_next


def timed(client, url: str, requests: int) -> tuple[list[float], int]:
    times, status = [], 0
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url, secure=True, follow=True)
        times.append((time.perf_counter() - started) * 1000)
        status = response.status_code
    return times, status


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def explained(client, url: str) -> list[tuple[float, str, str]]:
    """Return (execution ms, SQL, plan) of each query a request to `url` runs on the log."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(url, secure=True, follow=True)
    out = []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            sql = query["sql"]
            if "webhooks_webhookdelivery" not in sql or not sql.lstrip().upper().startswith(
                "SELECT"
            ):
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            found = re.search(r"Execution Time: ([\d.]+) ms", plan)
            out.append((float(found.group(1)) if found else 0.0, sql, plan))
    return out


def plan_summary(plan: str) -> str:
    """Return the plan's node lines, shortened: what it scanned, through which index."""
    lines = []
    for line in plan.splitlines():
        text = line.strip().lstrip("-> ").strip()
        if re.match(r"(Limit|Index|Bitmap|Seq Scan|Sort|Nested|Hash|Merge|Incremental)", text):
            text = re.sub(r"\s*\(cost=[^)]*\)", "", text)
            actual = re.search(r"actual time=[\d.]+\.\.([\d.]+) rows=(\d+)", text)
            text = re.sub(r"\s*\(actual[^)]*\)", "", text)
            if actual:
                text += f" [{actual.group(2)} rows, {actual.group(1)} ms]"
            lines.append(text)
        elif text.startswith("Buffers:") and len(lines) == 1:
            lines.append("  " + text)
        elif text.startswith("Execution Time"):
            lines.append(text)
    return " | ".join(lines[:7] + lines[-1:]) if len(lines) > 8 else " | ".join(lines)


def url_for(path: str, query: dict) -> str:
    from urllib.parse import urlencode

    return path + ("?" + urlencode(query) if query else "")


def measure(args, ids: dict) -> list[dict]:
    api, page = clients(ids)
    samples = sample_values(ids)
    api_next, page_next = next_urls(api, page)
    results = []
    explain_out = open(args.explain_file, "w")  # noqa: SIM115 - closed below
    for name, query in cases(ids, samples):
        if args.only and args.only not in name:
            continue
        for surface, client, path in (("api", api, API_PATH), ("page", page, PAGE_PATH)):
            if "_next" in query:
                url = api_next if surface == "api" else page_next
            else:
                url = url_for(path, query)
            client.get(url, secure=True, follow=True)  # warm: the first read pays the cache
            times, status = timed(client, url, args.requests)
            plans = explained(client, url)
            # The log's own query: the deliveries with their events (the others are per page).
            main = next(
                (plan for plan in plans if 'JOIN "webhooks_webhookevent"' in plan[1]),
                max(plans, default=(0.0, "", "")),
            )
            explain_out.write(f"## {surface} {name}: {url}\n")
            for ms, sql, plan in plans:
                explain_out.write(f"-- {ms} ms\n{sql}\n{plan}\n\n")
            results.append(
                {
                    "case": name,
                    "surface": surface,
                    "status": status,
                    "p50": statistics.median(times),
                    "p95": p95(times),
                    "queries": len(plans),
                    "log_query_ms": main[0],
                    "all_queries_ms": sum(plan[0] for plan in plans),
                    "plan": plan_summary(main[2]),
                }
            )
            row = results[-1]
            verdict = "ok" if row["p95"] < GOAL_P95_MS else "OVER"
            print(
                f"  {name:32} {surface:4} {status}  p50 {row['p50']:7.1f} ms  "
                f"p95 {row['p95']:7.1f} ms  {verdict}  (SQL: log query "
                f"{row['log_query_ms']:.1f} ms, all {row['queries']} on deliveries "
                f"{row['all_queries_ms']:.1f} ms)",
                flush=True,
            )
    explain_out.close()
    return results


def main() -> None:
    args = parse_args()
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    # Pages render without a collected manifest (production serves the same templates).
    os.environ.setdefault("STATIC_MANIFEST", "false")
    if args.no_migrate:
        configure_without_migrating(args)
    else:
        configure(args)
    from django.db import connection

    ids = bench_setup()
    import psycopg

    with psycopg.connect(args.database_url) as conn, conn.cursor() as cursor:
        if args.reload or not loaded(cursor, args.deliveries):
            print(f"loading {args.deliveries:,} deliveries (kept for later runs)", flush=True)
            load(cursor, ids, deliveries=args.deliveries, chunk_events=args.chunk_events)
        else:
            print(f"{args.deliveries:,} deliveries already loaded: reusing them")
        cursor.execute(
            "SELECT pg_size_pretty(pg_total_relation_size('webhooks_webhookdelivery')), "
            "pg_size_pretty(pg_database_size(current_database()))"
        )
        table, database = cursor.fetchone()
    connection.close()
    print(f"deliveries table with indexes {table}, database {database}")
    print(f"{os.cpu_count()} cores; {args.requests} sequential requests per case\n")
    results = measure(args, ids)
    over = [r for r in results if r["p95"] >= GOAL_P95_MS]
    print(f"\n{len(results) - len(over)}/{len(results)} cases under p95 {GOAL_P95_MS:.0f} ms")
    print("\nEXPLAIN (ANALYZE, BUFFERS) of the log query per case:")
    for row in results:
        print(f"  {row['case']} [{row['surface']}]: {row['plan']}")
    print(f"\nfull plans in {args.explain_file}")


if __name__ == "__main__":
    main()
