"""Drill reports: a versioned JSON document, and its HTML and Markdown renderings."""
