"""Web app and HTTP API over a newsloom store (FastAPI, server-rendered, no scripts)."""
