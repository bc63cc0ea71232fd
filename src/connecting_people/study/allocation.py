"""Allocation of teams to arms, random within site with a seed: pure (no Django), so it can be re-run by hand.

Within each site the teams are put in order of their code, shuffled with a generator seeded by the study's
seed and the site's code, and dealt alternately to intervention and control, so each site's arms differ by at
most one team. With an odd number of teams the spare team goes to intervention at the first such site, to
control at the next, and so on, so the study's arms stay balanced. The same seed and teams give the same
allocation, whoever runs it and wherever.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping, Sequence

INTERVENTION, CONTROL = "intervention", "control"


def _generator(seed: int, site: str) -> random.Random:
    digest = hashlib.sha256(f"{seed}:{site}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def allocate_within_sites(teams_by_site: Mapping[str, Sequence[str]], seed: int) -> dict[str, str]:
    """{team code: arm} for every team of every site ({site code: [team codes]})."""
    allocation: dict[str, str] = {}
    odd_sites = 0
    for site in sorted(teams_by_site):
        teams = sorted(teams_by_site[site])
        _generator(seed, site).shuffle(teams)
        first, second = (INTERVENTION, CONTROL)
        if len(teams) % 2 == 1:
            if odd_sites % 2 == 1:
                first, second = CONTROL, INTERVENTION
            odd_sites += 1
        for index, team in enumerate(teams):
            allocation[team] = first if index % 2 == 0 else second
    return allocation
