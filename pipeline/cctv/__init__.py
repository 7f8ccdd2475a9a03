"""CCTV identification and tracking, the runtime core (imports nothing from ``sim``).

Per camera (:mod:`pipeline.cctv.stream`): person tracks (:mod:`pipeline.cctv.persons`), faces
through the :class:`pipeline.types.FaceDetector` Protocol, a quality gate
(:mod:`pipeline.cctv.quality`), embeddings of the faces that pass, per-track aggregation of the
best faces (:mod:`pipeline.cctv.aggregate`) and one 1:N search per track against a gallery built
under a named policy (:mod:`pipeline.cctv.galleries`). Tracks of all cameras are linked into
journeys (:mod:`pipeline.cctv.journeys`); exports blur every face that is not a confirmed
watchlist match (:mod:`pipeline.cctv.privacy`); metrics are pure functions
(:mod:`pipeline.cctv.metrics`).
"""
