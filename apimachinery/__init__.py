"""skiff's pure-data layer: API types, selectors, quantities, patches and errors.

``base`` and ``meta`` import each other (ObjectMeta is a Model; KubeObject holds an
ObjectMeta). Loading ``base`` first here makes every import order work, so
``import apimachinery.errors`` on its own no longer trips over the cycle.
"""

from apimachinery import base as _base  # noqa: F401  (must load before meta)
