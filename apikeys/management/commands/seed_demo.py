from django.core.management.base import BaseCommand
from django.db import transaction

from apikeys.models import ApiKey
from apikeys.scopes import ALL_SCOPES
from apikeys.services import api_key_create, api_key_revoke
from workspaces.models import Membership, Workspace
from workspaces.services import member_add, workspace_create

DEMO_SLUG = "demo"
DEMO_EMAIL = "admin@example.com"
DEMO_PASSWORD = "omniflow-demo"
DEMO_KEY_NAME = "Demo key (make run)"


class Command(BaseCommand):
    help = "Create (or refresh) the demo workspace, its admin and a fresh demo API key."

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000/",
            help="Where the web listens, for the links printed (`make run` passes its own).",
        )

    @transaction.atomic
    def handle(self, *args, base_url, **options):
        workspace = Workspace.objects.filter(slug=DEMO_SLUG).first() or workspace_create(
            slug=DEMO_SLUG, name="Demo"
        )
        member_add(
            workspace=workspace,
            email=DEMO_EMAIL,
            password=DEMO_PASSWORD,
            role=Membership.Role.ADMIN,
        )
        # The plaintext of an old demo key cannot be shown again: retire it, issue a new one.
        for old_key in ApiKey.objects.filter(
            workspace=workspace, name=DEMO_KEY_NAME, revoked_at__isnull=True
        ):
            api_key_revoke(api_key=old_key, actor=None)
        _, plaintext = api_key_create(
            workspace=workspace, name=DEMO_KEY_NAME, scopes=list(ALL_SCOPES)
        )
        base_url = base_url.rstrip("/")
        self.stdout.write(
            "\n"
            f"  Log in at {base_url}/ as {DEMO_EMAIL} / {DEMO_PASSWORD}\n"
            f"  Demo API key (full access): {plaintext}\n"
            f"  Try: curl -H 'Authorization: Bearer {plaintext}' "
            f"{base_url}/api/v1/webhook-event-types\n"
        )
