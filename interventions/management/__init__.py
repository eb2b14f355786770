"""The app's management commands (commands/), one verb per command."""

import argparse

from django.core.management.base import CommandError


def add_moved_flag(parser: argparse.ArgumentParser, flag: str) -> None:
    """Accept `flag`, which a command had before its mode became a command of its own, so that
    using it gives moved_flag_error() rather than argparse's usage text (hidden from --help)."""
    parser.add_argument(flag, nargs="?", const="", default=None, help=argparse.SUPPRESS)


def moved_flag_error(command: str, flag: str, new_command: str) -> CommandError:
    """One line that names the command that does what `command flag` did."""
    return CommandError(f"{command} {flag} is now a command of its own: manage.py {new_command}")
