"""Flask "hello" — the framework ceiling the gateway numbers are compared with."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "hello"
