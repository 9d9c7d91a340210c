"""Export profiles: Mosaic, LiquidLogic, Eclipse, SSD, SSDA903, Annex A and HR exports turned
into the canonical tables. The format is documented in docs/profiles.md; the shipped profiles
are the YAML files beside this module.

model (the profile as data), choose (recognising files and choosing a profile), mapping
(export rows to canonical rows), report (the mapping report `inspect` shows).
"""

from __future__ import annotations

from .choose import all_wanted, best_source, choose_and_read, choose_profile, recognise
from .mapping import load_with_profile, map_source
from .model import (
    PROFILE_DIR,
    Filter,
    Profile,
    Source,
    load_profile,
    profile_names,
    resolve_profile,
)
from .report import MappingReport, SourceReport, mapping_frame

__all__ = [
    "PROFILE_DIR",
    "Filter",
    "MappingReport",
    "Profile",
    "Source",
    "SourceReport",
    "all_wanted",
    "best_source",
    "choose_and_read",
    "choose_profile",
    "load_profile",
    "load_with_profile",
    "map_source",
    "mapping_frame",
    "profile_names",
    "recognise",
    "resolve_profile",
]
