"""Dockerfile loader: stages, instructions and the shell commands of every RUN, with spans."""

from __future__ import annotations

from dindlint.dockerfile.parse import load_dockerfile
from dindlint.dockerfile.shell import split_shell

__all__ = ["load_dockerfile", "split_shell"]
