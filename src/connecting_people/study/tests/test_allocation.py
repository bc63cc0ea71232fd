"""Random allocation within site: balanced, reproducible from the seed, and fair for a lone or odd team."""

from collections import Counter

import pytest

from connecting_people.study.design.allocation import CONTROL, INTERVENTION, allocate_within_sites


def test_same_seed_same_allocation_and_other_seeds_differ():
    teams = {"site01": ["T01", "T02", "T03", "T04"], "site02": ["T05", "T06", "T07", "T08"]}
    first = allocate_within_sites(teams, 42)
    assert first == allocate_within_sites(teams, 42)
    assert len({tuple(sorted(allocate_within_sites(teams, seed).items())) for seed in range(30)}) > 5


@pytest.mark.parametrize("per_site", [2, 3, 4, 5])
def test_each_site_differs_by_at_most_one_team_and_the_study_stays_level(per_site):
    teams = {f"site{s:02d}": [f"S{s}T{t}" for t in range(per_site)] for s in range(1, 7)}
    for seed in range(25):
        arms = allocate_within_sites(teams, seed)
        for site, codes in teams.items():
            counts = Counter(arms[code] for code in codes)
            assert abs(counts[INTERVENTION] - counts[CONTROL]) <= 1, (seed, site)
        total = Counter(arms.values())
        assert abs(total[INTERVENTION] - total[CONTROL]) <= 1, seed


def test_a_team_allocated_on_its_own_goes_to_either_arm_about_equally():
    arms = Counter(allocate_within_sites({"site01": ["T01"]}, seed)["T01"] for seed in range(400))
    assert 160 < arms[INTERVENTION] < 240 and arms[INTERVENTION] + arms[CONTROL] == 400


def test_teams_added_later_balance_the_teams_already_at_the_site():
    assert allocate_within_sites(
        {"site01": ["T05"]}, 3, already={"site01": {INTERVENTION: 2, CONTROL: 1}}
    ) == {"T05": CONTROL}
    later = allocate_within_sites({"site01": ["T05", "T06", "T07"]}, 9, already={"site01": {INTERVENTION: 2}})
    assert Counter(later.values())[CONTROL] >= 2  # two to level the site, the third by the coin


def test_a_level_site_follows_the_study_wide_balance():
    found = allocate_within_sites(
        {"site02": ["T09"]}, 5, already={"site01": {INTERVENTION: 2, CONTROL: 1}, "site02": {}}
    )
    assert found == {"T09": CONTROL}
