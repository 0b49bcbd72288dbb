"""The Ray backend (``MODELPORT_BACKEND=ray``, docs/ray.md): endpoint instances as Ray actors.

``backend.RaySupervisor`` stands in for the local ``Supervisor``: the controller starts and stops
instances through it, and the router reaches each one's worker over HTTP at the address its actor
reports. ``actor.InstanceActor`` runs on a node: it fetches the model data there, starts the same
worker process the local backend starts, and reports where it listens. ``resources.py`` turns an
``ml.*`` instance type into the CPUs and memory an actor asks Ray for; ``cluster.py`` connects to
Ray and names modelport's actors. Ray is imported only here, and only when this backend is chosen.
"""
