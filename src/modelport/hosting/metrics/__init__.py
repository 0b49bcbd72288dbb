"""Endpoint metrics: SageMaker's names, dimensions and units, per endpoint, variant and minute.

``recorder.py`` counts in memory on the request path (a dict update, microseconds);
``usage.py`` reads the instances' CPU and memory from ``/proc``; ``store.py`` keeps the minutes
in SQLite, bounded by ``Limits.metrics_retention_s``; ``flusher.py`` moves them there off the
request path; ``prometheus.py`` renders the text exposition served at ``/metrics``.
"""
