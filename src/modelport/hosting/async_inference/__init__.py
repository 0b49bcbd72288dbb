"""Asynchronous inference: requests queued per endpoint, their input read from S3, their answer
written to S3 (docs/async-inference.md).

``request.py`` holds a request as stored and where its answer goes (pure); ``dispatcher.py``
runs each endpoint's queue on its instances.
"""
