"""The pedestrian mode: JuPedSim (LGPL-3.0) moves people on the hall's polygons, PedPy (MIT)
measures their densities, speeds and flows. ``crowd`` wraps JuPedSim, ``validation`` checks it
against Weidmann's diagram and bottleneck flows, ``bench`` measures its speed."""
