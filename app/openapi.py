"""The API contract: GET /openapi.json serves app/openapi.json."""

from __future__ import annotations

import json
from pathlib import Path

from flask import Blueprint, current_app
from flask.blueprints import BlueprintSetupState

DOCUMENT_PATH = Path(__file__).with_name("openapi.json")
EXTENSION = "openapi_document"

openapi = Blueprint("openapi", __name__)


@openapi.get("/openapi.json")
def openapi_document():
    """Serve the OpenAPI document, as prepared when the app was built."""
    return current_app.response_class(
        current_app.extensions[EXTENSION], mimetype="application/json"
    )


@openapi.record_once
def _load_document(state: BlueprintSetupState) -> None:
    settings = state.app.extensions["zego_token"].settings
    state.app.extensions[EXTENSION] = render_document(
        settings.default_effective_time, settings.max_effective_time
    )


def render_document(default_effective_time: int, max_effective_time: int) -> bytes:
    """Return the document with the effectiveTime this deployment allows."""
    document = json.loads(DOCUMENT_PATH.read_text(encoding="utf-8"))
    effective_time = document["components"]["parameters"]["effectiveTime"]["schema"]
    effective_time["default"] = default_effective_time
    effective_time["maximum"] = max_effective_time
    return json.dumps(document, ensure_ascii=False, indent=2).encode()
