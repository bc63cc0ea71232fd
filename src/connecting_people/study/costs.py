"""The study's unit-cost table as the measures engine's `UnitCostTable`, and re-costing stored service use.

Kept light (no analysis libraries) because data entry costs every service-use interview with it.
"""

from connecting_people.measures.scoring.csri_cost import UnitCost as TableEntry
from connecting_people.measures.scoring.csri_cost import UnitCostTable
from connecting_people.study.models import Study


def unit_cost_table(study: Study) -> UnitCostTable:
    """The study's unit costs (`UnitCost` rows) as a measures unit-cost table, with its price year, currency,
    source and illustrative flag. Its id names the study and price year ("cpis 2024/25")."""
    return UnitCostTable(
        id=f"{study.code} {study.price_year}".strip(),
        title=f"Unit costs of {study.code}",
        illustrative=study.unit_costs_illustrative,
        price_year=study.price_year,
        currency=study.currency,
        source=study.unit_cost_source,
        costs={row.service: TableEntry(row.unit, float(row.cost)) for row in study.unit_costs.all()},
        path=None,  # type: ignore[arg-type] - made from the database, not read from a file
    )
