"""What a user would build instead of API Gateway → Lambda → endpoint: a FastAPI front app that
calls a FastAPI model server (``benchmarks.fastapi_app``) over HTTP.

``POST /irisprediction`` takes the tutorial's ``{"data": "<csv row>"}``, posts the row to the
model server with one shared ``httpx.AsyncClient`` (keep-alive), and answers the most likely
class as JSON, like the tutorial's handler. Runs as a subprocess:
``python -m benchmarks.fastapi_chain MODEL_URL PORT``.
"""

import json
import sys

import httpx
from fastapi import FastAPI, Request, Response

CLASSES = ["Setosa", "Versicolor", "Virginica"]


def create_app(model_url: str) -> FastAPI:
    app = FastAPI()
    client = httpx.AsyncClient(limits=httpx.Limits(max_connections=100, max_keepalive_connections=100))

    @app.post("/irisprediction")
    async def predict(request: Request) -> Response:
        payload = (await request.json())["data"]
        answer = await client.post(model_url, content=payload, headers={"Content-Type": "text/csv"})
        scores = [float(value) for value in answer.text.strip().split(",")]
        return Response(json.dumps(CLASSES[scores.index(max(scores))]), media_type="application/json")

    @app.get("/ping")
    async def ping() -> Response:
        return Response(status_code=200)

    return app


def main(argv: list[str]) -> int:
    import uvicorn

    app = create_app(argv[0])
    uvicorn.run(app, host="127.0.0.1", port=int(argv[1]), log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
