"""Built-in model runtimes behind one small interface (:class:`Runtime`).

Heavy libraries (xgboost, scikit-learn) are imported only by the runtime that needs them.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from modelport.sandboxes.runtimes.base import InvocationResult, ModelLoadError, Runtime

__all__ = ["InvocationResult", "ModelLoadError", "Runtime", "load_runtime"]


def load_runtime(
    name: str, version: str, environ: Mapping[str, str], model_dir: Path | None = None
) -> Runtime:
    """The runtime for ``MODELPORT_RUNTIME`` = ``name`` imitating image tag ``version``.

    ``model_dir`` lets the factory detect script mode from ``code/inference.py``.
    """
    from modelport.sandboxes.runtimes.scriptmode import ScriptModeRuntime, script_requested

    script = model_dir is not None and script_requested(model_dir, environ)
    if name == "xgboost":
        from modelport.sandboxes.runtimes.xgboost_flavor import XGBoostFlavor

        flavor = XGBoostFlavor.parse(version)
        if script:
            from modelport.sandboxes.runtimes.xgboost_script import xgboost_script_defaults

            return ScriptModeRuntime(xgboost_script_defaults(flavor), environ, script=True)
        from modelport.sandboxes.runtimes.xgboost_runtime import XGBoostRuntime

        return XGBoostRuntime(version, environ)
    if name == "sklearn":
        from modelport.sandboxes.runtimes.sklearn_runtime import sklearn_runtime

        return sklearn_runtime(environ, model_dir)
    raise ValueError(f"Unknown runtime {name!r}; expected 'xgboost' or 'sklearn'")
