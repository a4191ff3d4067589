"""standby's changes to moto's behaviour, one module per service, installed when the emulator server starts.

Each module patches moto's backends or responses so that the emulator behaves like AWS where standby
depends on it (see docs/emulator.md). Everything here runs in the server process only.
"""

from __future__ import annotations

from dataclasses import dataclass

from standby.emulation import autoscaling, cloudwatch, ec2, rds, route53
from standby.emulation.state import EmulationState


@dataclass(frozen=True)
class Installed:
    state: EmulationState
    rds: rds.RdsEmulation
    cloudwatch: cloudwatch.CloudWatchEmulation
    route53: route53.Route53Emulation


def install(state: EmulationState) -> Installed:
    """Patch moto (once per process) and return the emulations bound to ``state``."""
    rds_emulation = rds.install(state)
    cloudwatch_emulation = cloudwatch.install(state)
    route53_emulation = route53.install(state, cloudwatch_emulation)
    autoscaling.install()  # stateless: traffic sources, launches from the group's template version
    ec2.install()  # stateless: launch-template tags and user data, security-group rule changes
    return Installed(state, rds_emulation, cloudwatch_emulation, route53_emulation)
