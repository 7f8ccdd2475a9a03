"""Where enrolled templates live and how galleries grow past one exact scan.

- :mod:`~pipeline.gallery.store`: the records and the two backend roles (``TemplateRows``,
  persistence; ``ChangeFeed``, replicas following each other).
- :mod:`~pipeline.gallery.crypto`: one AES-256-GCM sealed row per template, key ids, key rings.
- :mod:`~pipeline.gallery.sqlite_store` (the default, one file) and
  :mod:`~pipeline.gallery.postgres_store` (shared by service replicas).
- :mod:`~pipeline.gallery.location`: opening a store (a folder or a DSN), checking its keys,
  migrating format 1 (:mod:`~pipeline.gallery.legacy`); :mod:`~pipeline.gallery.rotation`:
  online key rotation.
- :mod:`~pipeline.gallery.ann`: IVF-PQ approximate search; :mod:`~pipeline.gallery.shards`:
  exact search over Dask workers.
- :mod:`~pipeline.gallery.pg_local`: a throwaway local PostgreSQL server (tests, benchmarks).

The service's in-memory side, which searches, is :class:`pipeline.service.templates.TemplateStore`.
Nothing here imports the simulator.
"""
