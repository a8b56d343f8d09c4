"""Examples for docs/device-models.md: a lab's own device model and the profile naming it."""
