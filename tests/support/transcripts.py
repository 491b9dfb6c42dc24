"""Transcripts as an integration POSTs them to /api/v1/conversations."""


def transcript(**overrides) -> dict:
    """Return a valid transcript for POST /api/v1/conversations."""
    body = {
        "external_id": "zendesk-1001",
        "channel": "email",
        "subject": "Refund for order 42",
        "contact": {"email": "Ada@Example.com", "name": "Ada Lovelace"},
        "tags": ["billing"],
        "custom_attributes": {"order": "42"},
        "messages": [
            {
                "author_type": "contact",
                "author_name": "Ada",
                "body": "I was charged twice.",
                "created_at": "2026-01-05T10:00:00Z",
            },
            {
                "author_type": "agent",
                "author_name": "Grace",
                "body": "Refunded, sorry about that.",
                "created_at": "2026-01-05T10:07:00Z",
            },
        ],
    }
    body.update(overrides)
    return body
