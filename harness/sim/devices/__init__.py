"""Simulated device models: the reference devices and the base users subclass."""
