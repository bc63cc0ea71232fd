"""The `connecting-people` command: Django's management commands plus our own (demo, serve, audit ...)."""

import sys

from connecting_people.config.environment import configure_settings


def main(argv: list[str] | None = None) -> None:
    given = sys.argv[1:] if argv is None else argv
    if given in (["--version"], ["version"]):
        from connecting_people import __version__

        print(f"connecting-people {__version__}")  # ours, not Django's (which `help` still names)
        return
    configure_settings()
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else ["connecting-people", *argv])
    args[0] = "connecting-people"
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
