"""Batch transform: a job runs a model over every object under an S3 prefix and writes one
``.out`` object per input object (docs/batch-transform.md).

``job.py`` holds the job's statuses and its plan (what CreateTransformJob asked, with defaults
resolved); ``records.py`` splits objects into records and mini-batches and assembles answers
(pure); ``data_processing.py`` applies DataProcessing's filters and join to one record (pure);
``objects.py`` reads and writes S3; ``runner.py`` runs jobs on worker instances.
"""
