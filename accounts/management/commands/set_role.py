from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts.roles import ROLES, assign_role


class Command(BaseCommand):
    help = "Give a user a role (annotator, reviewer, manager) or none; managers become staff, the others not."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("role", choices=[*ROLES, "none"])

    def handle(self, *args, username: str, role: str, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        assign_role(user=user, role=None if role == "none" else role)
        note = " (and a superuser, who may do everything)" if user.is_superuser else ""
        self.stdout.write(f"{username} now has {'no role' if role == 'none' else 'the ' + role + ' role'}{note}.")
