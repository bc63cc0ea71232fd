"""Errors the analysis raises on data it cannot analyse. Each message says what is wrong and what to do."""


class StudyDataError(ValueError):
    """The rows given cannot be analysed as they are (an unknown arm, a team in two arms, duplicate values...)."""


class TooFewToAnalyse(StudyDataError):
    """Too few teams or participants in an arm (or fidelity group) for the estimate to mean anything."""


class MissingUnitCost(StudyDataError):
    """The unit-cost table has no cost for a service that appears in the service-use rows."""

    def __init__(self, services: list[str], table: str) -> None:
        self.services = services
        names = ", ".join(services)
        super().__init__(
            f"The unit-cost table {table!r} has no unit cost for {names}: add "
            f"{'it' if len(services) == 1 else 'them'} to the table (for its price year) before analysing costs."
        )
