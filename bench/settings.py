"""Settings of the API benchmark (bench/api.py): the project's, plus the bench views."""

from omniflow.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
