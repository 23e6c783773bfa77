"""skiff kubelet."""
