"""The worker process: one model, one runtime, served over HTTP like a SageMaker container.

An island: imports only ``modelport.sandboxes.worker``, ``modelport.sandboxes.runtimes`` and third-party libraries.
Launched as ``python -m modelport.sandboxes.worker``; see :mod:`modelport.sandboxes.worker.settings` for the contract.
"""
