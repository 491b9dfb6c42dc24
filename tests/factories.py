import factory
from django.contrib.auth import get_user_model

from apikeys.scopes import ALL_SCOPES
from apikeys.services import api_key_create
from workspaces.models import Membership, Workspace

TEST_PASSWORD = "correct-horse-battery-staple"


class WorkspaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workspace

    name = factory.Sequence(lambda n: f"Workspace {n}")
    slug = factory.Sequence(lambda n: f"workspace-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}@example.com")
    email = factory.LazyAttribute(lambda user: user.username)
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805 - factory_boy hook
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    workspace = factory.SubFactory(WorkspaceFactory)
    role = Membership.Role.ADMIN


def make_api_key(workspace: Workspace, **kwargs) -> tuple:
    """Create a key through the real service (full access unless scopes are given);
    return (ApiKey, plaintext)."""
    kwargs.setdefault("name", "Test key")
    if kwargs.get("scopes") is None:
        kwargs["scopes"] = list(ALL_SCOPES)
    return api_key_create(workspace=workspace, **kwargs)


# --- Inbox ----------------------------------------------------------------------------------


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "inbox.Contact"

    workspace = factory.SubFactory(WorkspaceFactory)
    email = factory.Sequence(lambda n: f"contact{n}@example.com")
    name = factory.Sequence(lambda n: f"Contact {n}")


class ConversationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "inbox.Conversation"

    workspace = factory.SubFactory(WorkspaceFactory)
    subject = factory.Sequence(lambda n: f"Conversation {n}")
    channel = "chat"
    contact = factory.SubFactory(ContactFactory, workspace=factory.SelfAttribute("..workspace"))


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "inbox.Ticket"

    workspace = factory.SubFactory(WorkspaceFactory)
    subject = factory.Sequence(lambda n: f"Ticket {n}")


class ScorecardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "inbox.Scorecard"

    workspace = factory.SubFactory(WorkspaceFactory)
    conversation = factory.SubFactory(
        ConversationFactory, workspace=factory.SelfAttribute("..workspace")
    )
    grader = "qa@example.com"
    total_score = 80.0
    criteria = factory.LazyFunction(lambda: {"empathy": 4.0, "accuracy": 5.0})


class AgentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "inbox.Agent"

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Agent {n}")
    configuration = factory.LazyFunction(lambda: {"prompt": "Be helpful."})


class TrainingAttemptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "inbox.TrainingAttempt"

    workspace = factory.SubFactory(WorkspaceFactory)
    trainee = factory.Sequence(lambda n: f"trainee{n}@example.com")
    scenario = "Angry customer wants a refund"


class RoutingRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "inbox.RoutingRule"

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Rule {n}")
    conditions = factory.LazyFunction(
        lambda: [{"field": "channel", "operator": "equals", "value": "email"}]
    )
    actions = factory.LazyFunction(lambda: [{"type": "set_priority", "priority": "high"}])
