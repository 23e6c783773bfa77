"""skiff deploy."""
