"""Synthetic CCTV: a camera model, a scene of the hall, figures for travelers and scripted
incidents, rendered into frames with ground truth (see :mod:`sim.feeds` for the entry point)."""
