"""Reference data taken from the field's own packages (not typed in by us)."""
