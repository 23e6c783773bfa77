"""skiff client."""
