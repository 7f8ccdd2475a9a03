"""Everything that drives the runtime pipeline with the simulator, on one side of the line.

The pipeline core (``pipeline/``: recognition, danger detection, the HTTP service) imports
nothing from ``sim/``. What needs both lives here: the live e-gate mode (real recognition inside
a SimPy run), calibration and recognizer profiles measured on rendered faces, danger detection
run on a scenario's rendered cameras and its evaluation against ground truth, and the
benchmarks that render their inputs.
"""
