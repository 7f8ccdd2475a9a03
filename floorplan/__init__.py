"""The floor plan: one home for the geometry of the floor (zones, processor rows, queues, belts,
doors, cameras) as plain data; imports neither ``sim`` nor ``pipeline``.

- :mod:`floorplan.shapes`: polygon and polyline maths (bounds, point in polygon, doors, lanes,
  queue paths);
- :mod:`floorplan.plan`: :class:`~floorplan.plan.FloorPlan` and its parts;
- :mod:`floorplan.camera`: the pinhole camera and its floor homography;
- :mod:`floorplan.site`: site files, the plan as YAML (what the service reads).
"""
