"""skiff's API machinery: typed objects, validation, defaulting, errors."""

# base and meta import each other; base must initialise first, whichever module a
# caller imports first (``import apimachinery.meta`` alone would otherwise fail).
import apimachinery.base  # noqa: F401
