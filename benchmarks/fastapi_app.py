"""The FastAPI baseline: what a user might write by hand instead of using modelport.

One uvicorn worker; ``POST /invocations`` parses the CSV body, calls ``inplace_predict`` and
returns the XGBoost 1.7-1 container's text/csv output. No authentication. Runs as a subprocess:
``python -m benchmarks.fastapi_app MODEL_FILE PORT``. (No ``from __future__ import
annotations`` here: FastAPI reads the handler's annotations at runtime.)
"""

import os
import sys
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response

from benchmarks.baseline import csv_output, load_booster, parse_csv


def create_app(model_file: Path) -> FastAPI:
    booster: Any = load_booster(model_file)
    app = FastAPI()

    @app.post("/invocations")
    async def invocations(request: Request) -> Response:
        body = await request.body()
        preds = booster.inplace_predict(parse_csv(body.decode()), validate_features=False)
        return Response(content=csv_output(preds), media_type="text/csv")

    @app.get("/ping")
    async def ping() -> Response:
        return Response(status_code=200)

    return app


def main(argv: list[str]) -> int:
    import uvicorn

    model_file, port = Path(argv[0]), int(argv[1])
    app = create_app(model_file)
    uvicorn.run(app, host="127.0.0.1", port=port, workers=1, log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    sys.exit(main(sys.argv[1:]))
