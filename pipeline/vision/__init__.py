"""Vision shared by the CCTV pipelines (danger detection and identification): the person-detector
Protocol and its detection types (:mod:`.detections`), body boxes implied from a part
(:mod:`.bodies`) and the head-and-shoulders detector with its shipped model (:mod:`.heads`).
Imports nothing from :mod:`pipeline.danger` or :mod:`pipeline.cctv`."""
