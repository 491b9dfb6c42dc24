"""Trace labels of who acted through the API, shared by the API base view and the services."""


def actor_for_api_key(api_key) -> str:
    """Return the trace label of a request made with an API key."""
    return f"api_key:{api_key.prefix}"
