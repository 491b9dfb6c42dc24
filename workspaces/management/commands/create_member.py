from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from workspaces.models import Invitation, Membership, Workspace
from workspaces.services import member_create


class Command(BaseCommand):
    help = (
        "Add a member to a workspace. Without --password (always, for an existing account), "
        "email them an invitation and print its link, for the operator to pass on."
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
        # The operator runs this on the server (they hold the database): no grantor ceiling.
        try:
            added = member_create(
                workspace=workspace_obj,
                email=email,
                role=role,
                password=password,
                base_url=base_url,
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        if not isinstance(added, Invitation):
            self.stdout.write(f"Added {added.user.email} to {workspace_obj.slug} as {added.role}.")
            return
        self.stdout.write(f"Invited {added.email} to {workspace_obj.slug} as {added.role}.")
        self.stdout.write("The invitation was emailed; its one-time link, to pass on yourself:")
        self.stdout.write(added.link)
