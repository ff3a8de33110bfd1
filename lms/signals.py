"""Signals of the lms core, for the layers above it to react to without being imported by it."""

from django.dispatch import Signal

#: Sent by a statement store inside its transaction with ``statements``: the list of newly stored statements.
statements_stored = Signal()
