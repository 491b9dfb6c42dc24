"""Outbound HTTP: where requests may go and how they are made, for webhooks and agent tools.

`destinations` holds the address rules (checked when a URL is saved and again at send time);
`client` the pieces every outbound request is made with: the pinned resolver (aiohttp connects
to the address it vetted), the IP-literal check, capped reads and the error that says a
destination was refused. Features call these; none builds its own connector.
"""
