"""The baseline the service is measured against: a bare FastAPI endpoint that parses the same
patient-view request body and answers one fixed small card, doing no staging at all."""

from __future__ import annotations

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import Response

app = FastAPI()

_CARD = orjson.dumps(
    {
        "cards": [
            {
                "uuid": "6b1f6c8e-5a7e-4d8b-9a53-2f1a3c1d9e10",
                "summary": "Baseline card",
                "indicator": "info",
                "source": {"label": "baseline"},
            }
        ]
    }
)


@app.post("/cds-services/{service_id}")
async def answer(service_id: str, request: Request) -> Response:
    body = orjson.loads(await request.body())
    if body.get("hook") != "patient-view":
        return Response(status_code=400)
    return Response(_CARD, media_type="application/json")
