"""skiff apiserver."""
