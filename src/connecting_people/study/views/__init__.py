"""The study pages, one module per area; each module ends with its `urls`."""
