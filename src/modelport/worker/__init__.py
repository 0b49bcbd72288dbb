"""The worker process: one model, one runtime, served over HTTP like a SageMaker container.

An island: imports only ``modelport.worker``, ``modelport.runtimes`` and third-party libraries.
Launched as ``python -m modelport.worker``; see :mod:`modelport.worker.settings` for the contract.
"""
