import pytest

from tests.factories import MembershipFactory


@pytest.fixture
def member(workspace):
    """A support user of `workspace`, who can be assigned conversations."""
    return MembershipFactory(workspace=workspace, role="support").user
