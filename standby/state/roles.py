"""Which region currently plays which role, and the role record that says so.

The config names the home assignment (``[regions] primary/standby``). After a failover the roles are swapped;
the failover controller records that, and provisioning plans for the recorded assignment so that the next
``terraform apply`` matches the new reality instead of reverting it.

Role records carry a generation: the highest generation readable in any region wins, so a region that was
down during a failover cannot bring back a stale assignment when it returns.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from standby.config.schema import Config, Role


@dataclass(frozen=True)
class Assignment:
    primary: str
    standby: str

    @classmethod
    def home(cls, config: Config) -> Assignment:
        return cls(primary=config.regions.primary, standby=config.regions.standby)

    def swapped(self) -> Assignment:
        return Assignment(primary=self.standby, standby=self.primary)

    def role_of(self, region: str) -> Role:
        if region == self.primary:
            return "primary"
        if region == self.standby:
            return "standby"
        raise ValueError(f"{region} is neither the primary ({self.primary}) nor the standby ({self.standby})")

    def region_of(self, role: Role) -> str:
        return self.primary if role == "primary" else self.standby

    @property
    def regions(self) -> tuple[str, str]:
        return (self.primary, self.standby)


class RoleRecord(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    generation: int
    primary: str
    standby: str
    changed_at: float
    run_id: str | None = None

    @property
    def assignment(self) -> Assignment:
        return Assignment(primary=self.primary, standby=self.standby)


def newest(records: list[RoleRecord]) -> RoleRecord | None:
    return max(records, key=lambda r: r.generation, default=None)
