"""Subcommands of ``planmap``: each module has ``register(subparsers)``."""
