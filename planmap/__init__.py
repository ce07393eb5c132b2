"""Planmap: turn a district planning report into maps planners trust."""

__version__ = "0.1.0"
