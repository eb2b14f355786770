"""Create an editor account: staff, in the "Redaktør" group, password from a prompt or the env."""

import getpass
import os

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse

EDITOR_GROUP = "Redaktør"


class Command(BaseCommand):
    help = "Create an editor: a staff account in the Redaktør group (no superuser rights)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("email")
        parser.add_argument(
            "--password-from-env",
            metavar="VAR",
            help="read the password from this environment variable (for scripts)",
        )

    def handle(self, *args, username: str, email: str, password_from_env: str | None, **options):
        User = get_user_model()
        if User.objects.filter(username__iexact=username).exists():
            raise CommandError(
                f"A user named {username!r} already exists; nothing was changed. To make them an "
                f"editor, add them to the {EDITOR_GROUP} group in the admin."
            )
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(f"Not a valid email address: {email!r}") from None
        try:
            group = Group.objects.get(name=EDITOR_GROUP)
        except Group.DoesNotExist:
            raise CommandError(
                f"The {EDITOR_GROUP} group is missing; run `manage.py migrate` first."
            ) from None
        password = self._password(password_from_env)
        user = User(username=username, email=email.lower(), is_staff=True)
        try:
            password_validation.validate_password(password, user)
        except ValidationError as exc:
            raise CommandError("The password was rejected: " + " ".join(exc.messages)) from None
        with transaction.atomic():
            user.set_password(password)
            user.save()
            user.groups.add(group)
        self.stdout.write(
            self.style.SUCCESS(
                f"Created editor {username} ({email}); log in at {reverse('admin:index')}."
            )
        )

    def _password(self, variable: str | None) -> str:
        if variable:
            password = os.environ.get(variable)
            if not password:
                raise CommandError(f"The environment variable {variable} is not set or empty.")
            return password
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise CommandError("The passwords do not match; nothing was changed.")
        return password
