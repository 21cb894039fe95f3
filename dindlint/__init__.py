"""dindlint: who can reach which Docker socket, as which uid, with which groups."""

__version__ = "0.1.0"
