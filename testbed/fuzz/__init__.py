"""The damaged-stream campaign: mutate valid migration streams by class, deliver each to a
pre-initialised destination, and count what gets through (``testbed fuzz``)."""
