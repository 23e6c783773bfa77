"""skiff scheduler."""
