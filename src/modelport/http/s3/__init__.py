"""The S3 front (docs/s3.md): S3 requests authenticated with modelport's keys and authorised by
its IAM (``front.py``), then re-signed and streamed to the S3 in use (``forward.py``)."""
