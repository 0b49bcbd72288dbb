"""The ``conda_python3`` kernel of a notebook instance: ipykernel that dies with its JupyterLab.

JupyterLab starts each kernel in a session of its own, so a ``kill -9`` of the server (which takes
JupyterLab with it, by ``PR_SET_PDEATHSIG``) would leave the kernel running; this module asks for
the same signal when JupyterLab goes (``sandboxes/lifeline.die_with_parent``), then runs ipykernel
exactly as ``python -m ipykernel_launcher`` would. Standard library and the lifeline only, until
ipykernel takes over.
"""

from __future__ import annotations

import os
import signal
import sys

from modelport.sandboxes.lifeline import die_with_parent


def main() -> None:
    die_with_parent(os.getppid(), signal.SIGKILL)
    from ipykernel import kernelapp

    sys.argv[0] = "ipykernel_launcher"
    kernelapp.launch_new_instance()


if __name__ == "__main__":
    main()
