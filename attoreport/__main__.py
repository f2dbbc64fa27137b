"""`python -m attoreport`."""

from attoreport.cli import main

main()
