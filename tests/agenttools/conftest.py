import pytest

from tests.factories import AgentFactory, ConversationFactory
from tests.support.agent_tools import SIGNING_SECRET
from tests.support.customer_api import CustomerApi


@pytest.fixture
def private_urls_allowed(settings):
    """The customer API of the tests listens on 127.0.0.1, which production refuses."""
    settings.OMNIFLOW_WEBHOOK_ALLOW_PRIVATE_URLS = True


@pytest.fixture
def customer_api():
    api = CustomerApi(signing_secret=SIGNING_SECRET)
    yield api
    api.close()


@pytest.fixture
def conversation(workspace):
    return ConversationFactory(workspace=workspace)


@pytest.fixture
def agent(workspace):
    return AgentFactory(workspace=workspace)
