"""The `connecting-people` command: Django's management commands plus our own (demo, serve, audit ...)."""

import sys

from connecting_people.config.environment import configure_settings


def main(argv: list[str] | None = None) -> None:
    configure_settings()
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else ["connecting-people", *argv])
    args[0] = "connecting-people"
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
