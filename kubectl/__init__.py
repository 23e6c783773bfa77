"""skiff kubectl."""
