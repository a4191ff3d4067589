"""The DR plan document and the recovery-path lint: see README.md."""
