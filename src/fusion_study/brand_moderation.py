"""Deprecated: moved to :mod:`fusion_study.brands.moderation` (this path is removed in the next release)."""

from fusion_study._moved import alias

alias(__name__)
