import factory
from django.contrib.auth import get_user_model

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
    """Create a key through the real service; return (ApiKey, plaintext)."""
    kwargs.setdefault("name", "Test key")
    return api_key_create(workspace=workspace, **kwargs)
