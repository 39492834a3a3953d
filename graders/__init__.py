"""Severity catalogue and rule checks: data (catalogue.py) plus the small code that walks it."""
