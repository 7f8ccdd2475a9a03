"""airtwin's command line: the composition root that wires sim, pipeline, dashboard and loadtests."""
