"""skiff's pure-data layer: API types, selectors, quantities, patches, validation and errors.

Nothing here does I/O: components, the client and the apiserver all build on it.
"""
