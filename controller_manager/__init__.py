"""skiff controller_manager."""
