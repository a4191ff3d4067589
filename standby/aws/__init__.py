"""AWS access: sessions per (account, region), error classification, one driver module per service."""
