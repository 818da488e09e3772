"""A local replica of the Caliber.az WORLD section, served on 127.0.0.1 for tests and trials."""

from newscrawl.replica.server import (
    SITE_DIR,
    DirectorySite,
    ReplicaServer,
    Response,
    Site,
    default_site,
    not_found,
)

__all__ = [
    "SITE_DIR",
    "DirectorySite",
    "ReplicaServer",
    "Response",
    "Site",
    "default_site",
    "not_found",
]
