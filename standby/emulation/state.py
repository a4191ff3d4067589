"""The emulation's own state: modelled time, modelled latencies, outages, and each service's bookkeeping.

One instance lives in the server process. Outages are read by request threads before moto's lock is taken
(they have their own condition variable); everything else is touched only under the server's dispatch lock.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from standby.emulation.clock import DEFAULT_SCALE, ModelledClock

ROUTE53_CONTROL_REGION = "us-east-1"  # Route53's control plane (its one API endpoint) is in us-east-1
PLANES = ("all", "regional", "control")
MODES = ("hang", "refuse")
DEFAULT_PROMOTION_SECONDS = 60.0
DEFAULT_INSYNC_SECONDS = 30.0
DEFAULT_SNAPSHOT_SECONDS = 60.0  # a manual DB snapshot (minutes on AWS), as short as the modelled promotion


class Registry(Protocol):
    def reset(self) -> None: ...

    def describe(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Outage:
    region: str
    plane: str  # all: every request for the region; regional: all but Route53; control: Route53's control plane only
    mode: str  # hang: held unanswered until restore; refuse: connection reset without a response

    def __post_init__(self) -> None:
        if self.plane not in PLANES:
            raise ValueError(f"plane must be one of {', '.join(PLANES)}, not {self.plane!r}")
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        if not self.region:
            raise ValueError("an outage needs a region")
        if self.plane == "control" and self.region != ROUTE53_CONTROL_REGION:
            raise ValueError(
                f"the control plane (Route53's API) is in {ROUTE53_CONTROL_REGION}: "
                f"a control-plane outage must name {ROUTE53_CONTROL_REGION}, not {self.region}"
            )

    def applies(self, region: str | None, service: str | None) -> bool:
        """Route53's API is served from us-east-1 whatever region a client signs for (AWS clients sign it
        for us-east-1; a client given a custom endpoint signs it for its own region)."""
        if service == "route53":
            return self.region == ROUTE53_CONTROL_REGION and self.plane != "regional"
        return self.plane in ("all", "regional") and region == self.region


class EmulationState:
    def __init__(
        self,
        time_scale: float = DEFAULT_SCALE,
        promotion_seconds: float = DEFAULT_PROMOTION_SECONDS,
        insync_seconds: float = DEFAULT_INSYNC_SECONDS,
        snapshot_seconds: float = DEFAULT_SNAPSHOT_SECONDS,
    ) -> None:
        self.clock = ModelledClock(time_scale)
        self.promotion_seconds = _positive(promotion_seconds, "promotion seconds")
        self.insync_seconds = _non_negative(insync_seconds, "insync seconds")
        self.snapshot_seconds = _non_negative(snapshot_seconds, "snapshot seconds")
        self.outage_changed = threading.Condition()
        self._outages: dict[tuple[str, str], Outage] = {}
        self._registries: dict[str, Registry] = {}

    def register(self, name: str, registry: Registry) -> None:
        self._registries[name] = registry

    # Outages: read by request threads outside the dispatch lock.
    def outage_for(self, region: str | None, service: str | None) -> Outage | None:
        with self.outage_changed:
            matching = [o for o in self._outages.values() if o.applies(region, service)]
        # a refusal wins over a hang: the client learns at once
        return next((o for o in matching if o.mode == "refuse"), matching[0] if matching else None)

    def set_outage(self, outage: Outage) -> None:
        with self.outage_changed:
            self._outages[(outage.region, outage.plane)] = outage
            self.outage_changed.notify_all()

    def restore(self, region: str | None = None) -> list[Outage]:
        with self.outage_changed:
            ended = [o for o in self._outages.values() if region is None or o.region == region]
            for o in ended:
                del self._outages[(o.region, o.plane)]
            self.outage_changed.notify_all()
        return ended

    def outages(self) -> list[Outage]:
        with self.outage_changed:
            return list(self._outages.values())

    def set_latencies(
        self, promotion_seconds: float | None, insync_seconds: float | None, snapshot_seconds: float | None = None
    ) -> None:
        if promotion_seconds is not None:
            self.promotion_seconds = _positive(promotion_seconds, "promotion seconds")
        if insync_seconds is not None:
            self.insync_seconds = _non_negative(insync_seconds, "insync seconds")
        if snapshot_seconds is not None:
            self.snapshot_seconds = _non_negative(snapshot_seconds, "snapshot seconds")

    def latencies(self) -> dict[str, float]:
        return {
            "promotion_seconds": self.promotion_seconds,
            "insync_seconds": self.insync_seconds,
            "snapshot_seconds": self.snapshot_seconds,
        }

    def reset(self) -> None:
        """What `POST /moto-api/reset` clears: outages and every service's bookkeeping (not the time settings)."""
        self.restore()
        for registry in self._registries.values():
            registry.reset()

    def describe(self) -> dict[str, Any]:
        return {
            "time_scale": self.clock.scale,
            "modelled_now": self.clock.now(),
            **self.latencies(),
            "outages": [asdict(o) for o in self.outages()],
            **{name: registry.describe() for name, registry in self._registries.items()},
        }


def _positive(value: float, what: str) -> float:
    number = float(value)
    if number <= 0:
        raise ValueError(f"{what} must be positive, not {value}")
    return number


def _non_negative(value: float, what: str) -> float:
    number = float(value)
    if number < 0:
        raise ValueError(f"{what} must not be negative, not {value}")
    return number
