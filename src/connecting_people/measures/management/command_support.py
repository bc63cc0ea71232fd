"""What the measures commands share: finding an instrument, and turning engine errors into exit code 2."""

from __future__ import annotations

import re
from argparse import ArgumentParser

from django.core.management.base import CommandError

from connecting_people.measures.definitions import Instrument
from connecting_people.measures.errors import DefinitionError, UnknownInstrumentError
from connecting_people.measures.registry import catalogue

USAGE_ERROR = 2  # the exit code for bad input: unknown instrument, invalid answer, rejected rows

# argparse takes "-2,1" for an option, which would make `--answers -2,1` (GAS goals) fail. A value that starts
# with a minus sign and a digit is a value here: no option of these commands looks like that.
_NEGATIVE_VALUES = re.compile(r"^-\.?\d[\d.,\s-]*$")


def allow_negative_values(parser: ArgumentParser) -> None:
    if hasattr(parser, "_negative_number_matcher"):
        parser._negative_number_matcher = _NEGATIVE_VALUES


def find_instrument(instrument_id: str, version: str | None = None) -> Instrument:
    """The deployment's instrument, or CommandError (exit 2) naming what is known."""
    try:
        return catalogue().get(instrument_id, version)
    except UnknownInstrumentError as error:
        raise CommandError(str(error), returncode=USAGE_ERROR) from None
    except DefinitionError as error:
        raise CommandError(f"broken instrument definition: {error}", returncode=USAGE_ERROR) from None
