"""Queue a Celery task by its registered name, importing nothing of the code that runs it.

As NetBox's `extras/events.py` enqueues by dotted name: the module that decides work is due
never imports the tasks module, so tasks may import services, replays and events freely
without a cycle, lazy imports included.
"""

from typing import Any

from celery import current_app


def enqueue(name: str, *, args: tuple[Any, ...] = (), retry: bool = True) -> None:
    """Queue the task registered as `name` with `args`."""
    app = current_app
    if app.conf.task_always_eager:
        # send_task ignores eager mode (it needs no task object); run it here as apply_async would.
        app.tasks[name].apply(args=args)
        return
    app.send_task(name, args=args, retry=retry)
