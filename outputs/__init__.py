"""Everything airtwin writes to disk, in one place: each result folder's format has one owner
here, and every writer and reader goes through it.

- :mod:`outputs.atomic`: atomic files (bytes, text, JSON with NaN as null, Parquet) and
  staging folders swapped in whole;
- :mod:`outputs.header`: the ``format``/``kind``/``airtwin_version``/``created`` header of a
  summary.json, the one source of the version, and the check made on reading;
- :mod:`outputs.run`: run folders (``airtwin run``, ``airtwin detect-danger``), adding tables;
- :mod:`outputs.sweep`: sweep folders and their comparison table;
- :mod:`outputs.loadtest`: load-test folders;
- :mod:`outputs.progress`: the progress bar every command shows.

This package imports neither :mod:`sim` nor :mod:`pipeline`, so the simulator, the runtime core,
the load tests and the dashboard can all use it.
"""
