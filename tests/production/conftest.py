from pathlib import Path

import pytest

from tests.support.checkout import git_clone

# The worker and receiver fixtures of the webhooks tests, shared here.
from tests.webhooks.conftest import (  # noqa: F401 - fixtures
    _close_connection_pool,
    allow_private_urls,
    receiver,
    start_worker,
)


@pytest.fixture
def fresh_clone(tmp_path) -> Path:
    return git_clone(tmp_path / "omniflow")
