"""Synthetic CCTV: a scene of the hall drawn from the floor plan (:mod:`floorplan`, which also
holds the camera model), figures for travelers and scripted incidents, rendered into frames with
ground truth (see :mod:`sim.feeds` for the entry point)."""
