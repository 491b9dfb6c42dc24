"""gunicorn settings, loaded automatically from the working directory (`gunicorn omniflow.wsgi…`).

The access log must not hold credentials: it leaves out the remote user (gunicorn's `%(u)s` is
the user name of HTTP Basic auth, which some clients fill with an API key) and redacts API keys
and tokens in query strings and the signature of inbound trigger URLs (`omniflow.log_redaction`,
the same filter Django's loggers use). Command-line flags still override what is set here.
"""

import os

from gunicorn.glogging import Logger

from omniflow.log_redaction import redact

# Threads, so a request waiting on a slow agent tool (synchronous by design, bounded to
# agenttools.models.MAX_TIMEOUT_SECONDS and per workspace by OMNIFLOW_TOOL_CALLS_PER_WORKSPACE)
# holds one thread, not a whole worker: `/healthz` and other tenants are served meanwhile.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# A worker silent this long is killed and replaced; every synchronous wait stays well under it.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))

accesslog = "-"
# The default format without %(u)s (the Basic-auth user) and with a redacted request line.
access_log_format = '%(h)s %(l)s - %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"'


class RedactingLogger(Logger):
    """gunicorn's logger, with credentials redacted from every access-log field."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for name in ("r", "U", "q", "f"):
            if isinstance(atoms.get(name), str):
                atoms[name] = redact(atoms[name])
        # Header and environ atoms ({authorization}i, {query_string}e…) would carry them too.
        for name in [name for name in atoms if name.startswith("{")]:
            if name in ("{authorization}i", "{cookie}i", "{http_authorization}e", "{http_cookie}e"):
                atoms[name] = "[redacted]"
            elif isinstance(atoms[name], str):
                atoms[name] = redact(atoms[name])
        atoms["u"] = "-"
        return atoms


logger_class = RedactingLogger
