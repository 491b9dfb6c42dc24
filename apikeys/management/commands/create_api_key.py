from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from apikeys.models import ApiKey
from apikeys.scopes import ALL_SCOPES
from apikeys.services import api_key_create
from workspaces.models import Workspace


class Command(BaseCommand):
    help = "Create an API key; its plaintext is the last line of output (shown only once)."

    def add_arguments(self, parser):
        parser.add_argument("--workspace", required=True, help="Workspace slug.")
        parser.add_argument("--name", required=True)
        parser.add_argument(
            "--scope",
            action="append",
            default=[],
            metavar="RESOURCE:read|write",
            help="Repeat for several scopes. One --scope or --full-access is required.",
        )
        parser.add_argument(
            "--full-access", action="store_true", help="Every scope, read and write."
        )
        parser.add_argument("--tier", choices=ApiKey.Tier.values, default=None)
        parser.add_argument("--rate", default="", help='Custom limits, e.g. "300/m,5000/h".')

    def handle(self, *args, workspace, name, scope, full_access, tier, rate, **options):
        try:
            workspace_obj = Workspace.objects.get(slug=workspace)
        except Workspace.DoesNotExist as error:
            raise CommandError(f"No workspace '{workspace}'.") from error
        if rate and tier not in (None, ApiKey.Tier.CUSTOM):
            raise CommandError("--rate sets custom limits; it goes with --tier custom or alone.")
        if bool(scope) == full_access:
            # Least privilege by default: no scope given is an error, not "every scope".
            raise CommandError("Give the key's scopes with --scope, or --full-access (not both).")
        tier = tier or (ApiKey.Tier.CUSTOM if rate else ApiKey.Tier.DEFAULT)
        try:
            api_key, plaintext = api_key_create(
                workspace=workspace_obj,
                name=name,
                scopes=list(ALL_SCOPES) if full_access else scope,
                tier=tier,
                custom_rate=rate,
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(
            f"Created API key '{api_key.name}' ({api_key.prefix}…) in {workspace_obj.slug} "
            f"with scopes {', '.join(api_key.scopes)}. Store it now: it is not shown again."
        )
        self.stdout.write(plaintext)
