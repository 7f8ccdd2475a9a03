"""Recognition backends; look them up by name with :mod:`pipeline.registry`."""
