"""The floor for ``make bench``: a bare Flask app with one constant route."""

from flask import Flask

app = Flask(__name__)


@app.get("/api/zego/token")
def token():
    """Answer a constant, with none of the service's work."""
    return "04constant"
