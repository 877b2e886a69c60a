"""Bottom layer: build, validate, ranges, renamed keys, task kinds, fit and device checks,
overrides, from_run inheritance, errors. Imports nothing else of hydratune."""
