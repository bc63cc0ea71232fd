"""The connections map: the people, groups, places and services in a person's life, as dated snapshots."""
