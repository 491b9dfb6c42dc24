from django.core.management.base import BaseCommand, CommandError
from django.utils.text import slugify

from workspaces.models import Membership, Workspace
from workspaces.services import member_add, workspace_create


class Command(BaseCommand):
    help = "Create a workspace, optionally with an admin user."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--name", default="")
        parser.add_argument("--admin-email")
        parser.add_argument("--admin-password")

    def handle(self, *args, slug, name, admin_email, admin_password, **options):
        if slugify(slug) != slug:
            raise CommandError(f"'{slug}' is not a valid slug (lowercase letters, digits, -).")
        if Workspace.objects.filter(slug=slug).exists():
            raise CommandError(f"Workspace '{slug}' already exists.")
        if admin_password and not admin_email:
            raise CommandError("--admin-password needs --admin-email.")
        workspace = workspace_create(slug=slug, name=name)
        self.stdout.write(f"Created workspace {workspace.slug} ({workspace.name}).")
        if admin_email:
            member_add(
                workspace=workspace,
                email=admin_email,
                password=admin_password,
                role=Membership.Role.ADMIN,
            )
            self.stdout.write(f"Admin: {admin_email}")
