"""studycircle-tui: a terminal app for study circles."""

__version__ = "0.1.0"
