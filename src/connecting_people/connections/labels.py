"""The one home of the words for a map's codes (relationship, ring, kind, support, contact, wish): the forms'
choices, the model's choices, the tables, the printout and the drawing all take them from here. Pure (no Django).

Each is written as a label ("Every day or most days"); a page that needs it inside a sentence lowers it.
"""

from connecting_people.connections.domain import Category, Frequency, Kind, Ring, Support, Wish

KIND = {Kind.PERSON: "Person", Kind.GROUP: "Group", Kind.PLACE: "Place", Kind.SERVICE: "Service"}
CATEGORY = {
    Category.FAMILY: "Family",
    Category.PARTNER: "Partner",
    Category.FRIEND: "Friend",
    Category.NEIGHBOUR: "Neighbour",
    Category.WORK_EDUCATION: "Work or education",
    Category.COMMUNITY_GROUP: "Community group",
    Category.FAITH: "Faith",
    Category.PEER_SUPPORT: "Peer support",
    Category.ONLINE: "Online",
    Category.SERVICES: "Services",
}
# The names of the map's sectors, round its rim: a sector holds many, so the countable ones are plural.
CATEGORY_SECTOR = CATEGORY | {
    Category.FRIEND: "Friends",
    Category.NEIGHBOUR: "Neighbours",
    Category.COMMUNITY_GROUP: "Community groups",
}
RING = {Ring.CLOSE: "Close", Ring.MIDDLE: "Middle", Ring.OUTER: "Outer"}
SUPPORT = {
    Support.EMOTIONAL: "Emotional",
    Support.PRACTICAL: "Practical help",
    Support.INFORMATION: "Information",
    Support.COMPANIONSHIP: "Companionship",
    Support.ADVICE: "Advice",
}
FREQUENCY = {
    Frequency.DAILY: "Every day or most days",
    Frequency.WEEKLY: "Every week",
    Frequency.MONTHLY: "Every month",
    Frequency.LESS_OFTEN: "Less often than monthly",
    Frequency.NOT_IN_TOUCH: "Not in touch at the moment",
}
WISH = {
    Wish.KEEP: "Keep as it is",
    Wish.CLOSER: "Get closer",
    Wish.RECONNECT: "Get back in touch",
    Wish.FEWER: "See less of them",
}


def choices(labels: dict) -> list[tuple[str, str]]:
    """(code, label) pairs in the enum's order: a model's or a form's choices."""
    return [(code.value, label) for code, label in labels.items()]


def lowered(labels: dict) -> dict:
    """The labels as they read inside a sentence ("every week")."""
    return {code: label.lower() for code, label in labels.items()}
