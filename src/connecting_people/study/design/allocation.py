"""Allocation of teams to arms, random within site with a seed: pure (no Django), so it can be re-run by hand.

Within each site (sites in order of their code) the new teams are put in order of their code and shuffled with
a generator seeded by the study's seed and the site's code. Each team in turn goes to the arm that has fewer
teams at that site so far, counting the teams already allocated there (`already`). When the site's arms are
level, it goes to the arm with fewer teams in the whole study so far; when those are level too, a seeded coin
decides. So each site's arms never differ by more than one team, the study's arms stay as level as the sites
allow, and a team allocated on its own is as likely to go to either arm. The same seed, teams and earlier
allocations give the same result, whoever runs it and wherever.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping, Sequence

INTERVENTION, CONTROL = "intervention", "control"
ARMS = (INTERVENTION, CONTROL)


def _generator(seed: int, site: str) -> random.Random:
    digest = hashlib.sha256(f"{seed}:{site}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def allocate_within_sites(
    teams_by_site: Mapping[str, Sequence[str]],
    seed: int,
    *,
    already: Mapping[str, Mapping[str, int]] | None = None,
) -> dict[str, str]:
    """{team code: arm} for the new teams of every site ({site code: [team codes]}); `already` gives the
    teams allocated earlier, {site code: {arm: count}}."""
    already = already or {}
    at_site = {site: {arm: int(already.get(site, {}).get(arm, 0)) for arm in ARMS} for site in teams_by_site}
    in_study = {arm: sum(int(counts.get(arm, 0)) for counts in already.values()) for arm in ARMS}
    allocation: dict[str, str] = {}
    for site in sorted(teams_by_site):
        generator = _generator(seed, site)
        teams = sorted(teams_by_site[site])
        generator.shuffle(teams)
        for team in teams:
            counts = at_site[site]
            if counts[INTERVENTION] != counts[CONTROL]:
                arm = min(ARMS, key=lambda a: counts[a])
            elif in_study[INTERVENTION] != in_study[CONTROL]:
                arm = min(ARMS, key=lambda a: in_study[a])
            else:
                arm = ARMS[generator.randrange(2)]
            allocation[team] = arm
            counts[arm] += 1
            in_study[arm] += 1
    return allocation
