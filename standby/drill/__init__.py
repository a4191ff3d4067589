"""Drills: rehearse the failover (full) or its parts without touching production (isolated), measure RTO and
RPO, prove that nothing was left behind, and report."""
