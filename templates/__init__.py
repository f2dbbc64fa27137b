"""The report's templates and assets, installed as the package `attoreport.templates`."""
