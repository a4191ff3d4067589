"""Standby's own records, one seam per region: see README.md."""

from standby.state.journal import Journal, StepRecord
from standby.state.journal_store import JournalStore
from standby.state.lock import RunLock
from standby.state.manifest import CapacitySnapshot, DnsRefs, GroupRef, Manifest, RegionResources
from standby.state.notes import EVICTED_RECORD, FENCE_NOTES, PRIOR_CAPACITY, Notes, evicted_record_name
from standby.state.region import AWS_ERRORS, RegionState, RegionStates, observe_capacity
from standby.state.roles import Assignment, RoleRecord
from standby.state.store import ControlStore

__all__ = [
    "AWS_ERRORS",
    "EVICTED_RECORD",
    "FENCE_NOTES",
    "PRIOR_CAPACITY",
    "Assignment",
    "CapacitySnapshot",
    "ControlStore",
    "DnsRefs",
    "GroupRef",
    "Journal",
    "JournalStore",
    "Manifest",
    "Notes",
    "RegionResources",
    "RegionState",
    "RegionStates",
    "RoleRecord",
    "RunLock",
    "StepRecord",
    "evicted_record_name",
    "observe_capacity",
]
