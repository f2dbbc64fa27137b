"""`python -m attoreport`."""

from attoreport.cli import entry

entry()
