"""skiff proxy."""
