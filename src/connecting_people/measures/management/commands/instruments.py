"""`connecting-people instruments [INSTRUMENT] [--json]`: the instruments this deployment has loaded.

Without INSTRUMENT: one line per instrument and version (id, version, title), or a JSON list with --json.
With INSTRUMENT: that definition (the latest version, or --instrument-version), as text or, with --json, as
JSON: items in order, each with its `id` and allowed `codes` (or `range`), plus scoring, bands and rules.
An unknown instrument: a message on stderr, exit code 2, nothing on stdout.
"""

import json

from django.core.management.base import BaseCommand

from connecting_people.measures.definitions import Instrument
from connecting_people.measures.management.command_support import find_instrument
from connecting_people.measures.registry import catalogue


class Command(BaseCommand):
    help = "List the outcome measures instruments (ids, versions, titles), or show one definition."

    def add_arguments(self, parser):
        parser.add_argument("instrument", nargs="?", help="an instrument id, for example swemwbs")
        parser.add_argument(
            "--instrument-version", help="the definition version to show (default: the latest)"
        )
        parser.add_argument("--json", action="store_true", help="print JSON instead of text")

    def handle(self, *args, **options):
        if options["instrument"]:
            instrument = find_instrument(options["instrument"], options["instrument_version"])
            if options["json"]:
                self.stdout.write(json.dumps(instrument.as_json(), indent=2))
            else:
                self.stdout.write(describe(instrument))
            return
        instruments = list(catalogue())
        if options["json"]:
            listing = [
                {"id": i.id, "version": i.version, "title": i.title, "illustrative": i.illustrative}
                for i in instruments
            ]
            self.stdout.write(json.dumps(listing, indent=2))
            return
        id_width = max([len("id"), *(len(i.id) for i in instruments)])
        version_width = max([len("version"), *(len(i.version) for i in instruments)])
        lines = [f"{'id':<{id_width}}  {'version':<{version_width}}  title"]
        lines += [
            f"{i.id:<{id_width}}  {i.version:<{version_width}}  {i.title}"
            + ("  [illustrative]" if i.illustrative else "")
            for i in instruments
        ]
        self.stdout.write("\n".join(lines))


def describe(instrument: Instrument) -> str:
    """A plain-text summary of one definition: title, scoring, and each item with its allowed answers."""
    lines = [
        f"{instrument.id} version {instrument.version}: {instrument.title}",
        f"scoring: {instrument.scoring.type}; missing data: {instrument.missing.rule}",
    ]
    if instrument.repeat is not None:
        lines.append(f"answers: {instrument.repeat.minimum} to {instrument.repeat.maximum} of the item below")
    lines.append("items:")
    for item in instrument.items:
        lines.append(f"  {item.id}: {item.label} ({item.allowed_text()})")
    if instrument.subscales:
        lines.append("subscales: " + ", ".join(s.id for s in instrument.subscales))
    if instrument.derived:
        lines.append("derived scores: " + ", ".join(d.id for d in instrument.derived))
    return "\n".join(lines)
