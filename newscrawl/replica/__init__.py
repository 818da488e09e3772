"""A local replica of the Caliber.az WORLD section, served on 127.0.0.1 for tests and trials."""

from newscrawl.replica.faults import Fault, FaultySite, RedesignedSite
from newscrawl.replica.server import (
    SITE_DIR,
    DirectorySite,
    ReplicaServer,
    RequestRecord,
    Response,
    Site,
    default_site,
    not_found,
    without_proxy_for_loopback,
)

__all__ = [
    "SITE_DIR",
    "DirectorySite",
    "Fault",
    "FaultySite",
    "RedesignedSite",
    "ReplicaServer",
    "RequestRecord",
    "Response",
    "Site",
    "default_site",
    "not_found",
    "without_proxy_for_loopback",
]
