import pytest

from tests.factories import ConversationFactory, MembershipFactory
from tests.support.inbound_triggers import make_tag_trigger


@pytest.fixture
def conversation(workspace):
    return ConversationFactory(workspace=workspace, external_id="shop-order-42")


@pytest.fixture
def member(workspace):
    """A support user of `workspace`, who can be assigned contacts."""
    return MembershipFactory(workspace=workspace, role="support").user


@pytest.fixture
def tag_trigger(workspace):
    return make_tag_trigger(workspace)
