"""The HTTP front door: a FastAPI app over the same corpus and verifier as the CLI.

``service.api.app.create_app`` builds it; ``crosscheck serve``
(``service.api.server``) runs it under uvicorn. Routes live in ``routes.py``;
a new group of routes is a new ``APIRouter`` included in ``create_app``.
Nothing is imported here, so the CLI does not pay for FastAPI on every command.
"""
