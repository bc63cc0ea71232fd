"""The report's flow diagram takes "Analysed" from the primary analysis, so the report gives one number."""

from connecting_people.study.completeness.flow import ArmFlow, FlowCounts
from connecting_people.study.report.db import NOT_IN_MODEL, with_analysed


def counts() -> FlowCounts:
    arm = {
        "lost": {"Withdrew": 1},
        "excluded": {"Asked for their data to be removed": 1},
    }
    return FlowCounts(
        assessed=40,
        not_enrolled={"Declined": 4},
        enrolled=36,
        arms=(
            ArmFlow(arm="intervention", teams=2, allocated=18, followed_up=17, analysed=16, **arm),
            ArmFlow(arm="control", teams=2, allocated=18, followed_up=17, analysed=16, **arm),
        ),
        follow_up_label="6 months",
    )


def test_arms_the_model_left_people_out_of_say_why():
    result = {"primary": {"missing": {"analysed": {"intervention": 15, "control": 16}}}}
    intervention, control = with_analysed(counts(), result).arms
    assert intervention.analysed == 15 and intervention.excluded[NOT_IN_MODEL] == 1
    assert intervention.followed_up == intervention.analysed + sum(intervention.excluded.values())
    assert control == counts().arms[1]


def test_without_an_analysis_block_the_flow_is_unchanged():
    assert with_analysed(counts(), {"primary": {}}) == counts()
