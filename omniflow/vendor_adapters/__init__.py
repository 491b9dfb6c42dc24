"""The one place that calls libraries' private internals, where no public API does the job.

One module per library. Each private call has a reason no public API serves, and
`tests/architecture/test_vendor_adapters.py` checks its signature and behaviour against the
installed version, so an upgrade that changes one fails there, by name, rather than silently
somewhere else.

- Django's Redis cache client: its connection pools (one per server) and its serializer. The
  public `get_client` builds a `redis.Redis` on every call, which costs more than the round
  trip (`omniflow.cache`); a client made once per pool needs the pool.
- drf-spectacular: the JSON Schema of one serializer outside any operation (the webhook event
  catalogue, `webhooks.event_schemas`), through the mocked view it builds for its own `WEBHOOKS`
  setting. And a field's default schema, which field extensions that only add the rules DRF
  enforces (`omniflow.api.schema`: minLength, minItems) start from, as its documentation shows.
  (The problem responses on every operation need nothing private: `omniflow.api.schema`
  extends the public `AutoSchema.get_operation` and refers to the problem shape with
  `resolve_serializer`.)
- kombu's Redis transport: the client address of a channel whose connection Celery 5.7 has
  already collected, which raises AttributeError (and kills the worker) when the close
  restores unacknowledged messages or a late task acks; no public hook reaches it
  (`kombu_redis`).
"""
