from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from workspaces.models import Membership, Workspace
from workspaces.services import member_create


class Command(BaseCommand):
    help = (
        "Add a member to a workspace. Without --password, print a one-time link where they set "
        "their own."
    )

    def add_arguments(self, parser):
        parser.add_argument("workspace", help="Workspace slug.")
        parser.add_argument("email")
        parser.add_argument("--role", choices=Membership.Role.values, required=True)
        parser.add_argument("--password", default=None, help="Their password (new accounts only).")
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000",
            help="Where Omniflow is served, to print the link in full.",
        )

    def handle(self, *args, workspace, email, role, password, base_url, **options):
        try:
            workspace_obj = Workspace.objects.get(slug=workspace)
        except Workspace.DoesNotExist as error:
            raise CommandError(f"No workspace '{workspace}'.") from error
        try:
            membership, link_path = member_create(
                workspace=workspace_obj, email=email, role=role, password=password
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(
            f"Added {membership.user.email or membership.user.get_username()} to "
            f"{workspace_obj.slug} as {membership.role}."
        )
        if link_path:
            self.stdout.write("Send them this one-time link to set a password:")
            self.stdout.write(base_url.rstrip("/") + link_path)
