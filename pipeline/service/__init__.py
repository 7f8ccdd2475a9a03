"""The recognition service (``airtwin serve``): FastAPI on uvicorn, micro-batched models,
encrypted templates, a hash-chained audit log. Build one with
:func:`pipeline.service.app.create_app`; see that module for how routers plug in."""
