"""The JSON API under /api/v1 (flask-smorest), documented at /api/v1/openapi.json."""
