"""The actions of `connecting-people study`, one module each: HELP, DESCRIPTION, add_arguments(parser), run(command, options)."""
