"""The delivery engine: what is due, the signed request, the send, the retry, the record.

One module per hop: `claims`, `attempts`, `transport`, `retry`, `outcomes`, run in order by
`dispatch`; `storage/` holds their SQL, one module per database; `wakeup` queues a dispatch.
"""
