"""The routes: each makes one call into the core and returns the shared result contract.

Domain errors are not caught here; ``service.api.errors`` maps them to
status codes in one place.
"""

from __future__ import annotations

import io
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Path, Query, Request, Response, UploadFile, status
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.exceptions import HTTPException

from index.documents import Document, parse_html
from service import batch
from service.api.deps import ChecksDep, CorpusDep, SettingsDep, StateDep, VerifierDep, WriteAccess
from service.api.errors import documented
from service.api.schemas import (
    SOURCE_ID_PATTERN,
    TOP_K_MAX,
    BatchRequest,
    BatchResponse,
    DocumentRequest,
    Health,
    Readiness,
    SearchRequest,
    VerifyRequest,
)
from service.claimreview import MEDIA_TYPE, accepts_claimreview, claim_review_json
from service.corpus import too_long
from service.errors import DocumentTooLargeError
from service.schemas import SearchResponse, SourceInfo, VerificationResult, verification_contract, verification_json
from service.settings import reviewer

router = APIRouter()


def _within_limit(text: str, field: str, limit: int) -> None:
    """The configured limit on the text as sent, padding included, as the OpenAPI maxLength states it
    (the core measures the stripped text, which is then within the limit too)."""
    if len(text) > limit:
        raise too_long(field, len(text), limit)


def _within_document_limit(text: str, field: str, limit: int) -> None:
    """A document the route would embed and save for minutes while the client waits is refused at once."""
    if len(text) > limit:
        raise DocumentTooLargeError(
            f"the document's text has {len(text):,} characters; one write over HTTP takes at most {limit:,} "
            "(CROSSCHECK_MAX_DOCUMENT_CHARS), as it is embedded and saved before the answer. "
            "Add longer documents with `crosscheck ingest`",
            field=field,
        )


async def verify_request(body: VerifyRequest, settings: SettingsDep) -> VerifyRequest:
    _within_limit(body.claim, "claim", settings.max_claim_chars)
    return body


async def search_request(body: SearchRequest, settings: SettingsDep) -> SearchRequest:
    _within_limit(body.query, "query", settings.max_claim_chars)
    return body


SEARCH_EXAMPLE = {
    "query": "1,000 troops moved to Romania",
    "sources": [
        {
            "source_id": "004_f612fa7a56b26ca2",
            "title": "Pentagon: zo'n 2.000 troepen naar Oost-Europa",
            "published": "2022-02",
            "language": "nl",
            "url": None,
            "passages": [
                {
                    "text": "1.000 militairen die op dit ogenblik al in Duitsland gestationeerd zijn, "
                    "gaan naar Roemenië.",
                    "similarity": 0.65,
                    "char_start": 520,
                    "char_end": 610,
                    "paragraph": 3,
                    "position": 5,
                }
            ],
        }
    ],
}
SOURCE_EXAMPLE = {
    "source_id": "004_f612fa7a56b26ca2",
    "title": "Pentagon: zo'n 2.000 troepen naar Oost-Europa",
    "published": "2022-02",
    "language": "nl",
    "url": None,
    "sentence_count": 41,
}


def _example(payload: Any) -> dict[str, Any]:
    return {"content": {"application/json": {"example": payload}}}


@router.post(
    "/v1/verify",
    tags=["verify"],
    summary="Check a claim against every source",
    response_description="The verdict, and per source its stance with the passages and reasons behind it; "
    "with Accept: application/ld+json, the same as a schema.org ClaimReview",
    response_model=VerificationResult,
    responses={
        200: {"content": {MEDIA_TYPE: {"schema": {"type": "object", "description": "schema.org ClaimReview"}}}},
        **documented(400, 404, 413, 422, 500, 503),
    },
)
async def verify(
    body: Annotated[VerifyRequest, Depends(verify_request)], checks: ChecksDep, request: Request
) -> Response:
    """For each source, the passages that support or conflict with the claim and why, and an overall verdict
    (`supported`, `refuted`, `conflicting` or `not_enough_evidence`). The same JSON as `crosscheck check --json`.
    Sent with `Accept: application/ld+json`, the answer is the result as schema.org ClaimReview JSON-LD (as
    `crosscheck check --format claimreview`; see docs/claimreview.md)."""
    result = await checks.verify(body.claim, top_k=body.top_k, filters=body.filters())
    if accepts_claimreview(request.headers.get("accept")):  # read here: no dependency cost on the hot route
        settings = request.app.state.crosscheck.settings
        review = claim_review_json(
            verification_contract(result),
            reviewer(settings, page=str(request.base_url)),
            appearances=body.appearances or (),
        )
        return Response(review, media_type=MEDIA_TYPE)
    return Response(verification_json(result), media_type="application/json")


@router.post(
    "/v1/verify/batch",
    tags=["verify"],
    summary="Check many claims at once",
    response_description="One row per claim, in the order sent, each with its result or the reason it was not checked",
    responses=documented(400, 404, 413, 422, 500, 503),
)
def verify_batch(body: BatchRequest, verifier: VerifierDep, settings: SettingsDep) -> BatchResponse:
    """Each row holds the same result as `POST /v1/verify` would give for its claim. An empty or over-long claim
    gets an `error` in its row instead of failing the request; more than CROSSCHECK_BATCH_MAX_CLAIMS claims
    answer 413. For whole spreadsheets, `POST /v1/verify/csv` streams."""
    rows = batch.verify_batch(
        body.claims, verifier, max_claims=settings.batch_max_claims, top_k=body.top_k, filters=body.filters()
    )
    return BatchResponse.of(rows)


@router.post(
    "/v1/verify/csv",
    tags=["verify"],
    summary="Check the claims of a CSV file; the result CSV streams back",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "description": "The input rows in order with their original columns, plus verdict, confidence, "
            "per-source stances, the best supporting and conflicting passage, and error",
        },
        **documented(400, 404, 413, 422, 500, 503),
    },
)
def verify_csv(
    file: Annotated[UploadFile, File(description="The CSV: comma, semicolon or tab; UTF-8 (BOM or not) or cp1252")],
    verifier: VerifierDep,
    settings: SettingsDep,
    column: Annotated[
        str | None, Query(max_length=200, description="The claim column (default: `claim`, else the only text column)")
    ] = None,
    id_column: Annotated[str | None, Query(max_length=200, description="A column naming each row")] = None,
    encoding: Annotated[
        str | None,
        Query(max_length=40, description="The file's encoding when detection gets it wrong: cp1252, mac-roman, ..."),
    ] = None,
    top_k: Annotated[int | None, Query(ge=1, le=TOP_K_MAX, description="Passages per source")] = None,
) -> StreamingResponse:
    """As `crosscheck batch IN.csv -o OUT.csv`: every row comes back in order in the file's own delimiter, a row
    that cannot be checked with its `error`. The file is read and its claim column chosen before the answer
    starts, so a file that cannot be read is a 422 (with the columns listed when no claim column is found);
    more than CROSSCHECK_BATCH_MAX_CLAIMS rows answer 413. The upload counts against CROSSCHECK_MAX_BODY_BYTES."""
    job = batch.CsvJob.open(
        io.BytesIO(file.file.read()),  # bounded by the body limit; the response outlives the upload's temp file
        verifier,
        name=file.filename or "upload.csv",
        column=column,
        id_column=id_column,
        encoding=encoding,
        max_rows=settings.batch_max_claims,
        top_k=top_k,
        keep_formulas=settings.keep_formulas,
    )
    headers = {
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(job.filename)}",
        # What was detected, since the answer is UTF-8 whatever came in (with a BOM when Excel needs one).
        "X-Crosscheck-Input-Encoding": job.table.encoding.label,
        "X-Crosscheck-Claim-Column": quote(job.table.header[job.columns.claim]),
    }
    if job.encoding_doubt:  # a guess: the client is told, and how to name the encoding instead
        headers["X-Crosscheck-Input-Encoding-Doubt"] = job.encoding_doubt
    return StreamingResponse(job.chunks(), media_type=job.media_type, headers=headers)


@router.post(
    "/v1/search",
    tags=["verify"],
    summary="Find the passages closest to a text, per source",
    responses={200: _example(SEARCH_EXAMPLE), **documented(400, 413, 422, 500, 503)},
)
def search(body: Annotated[SearchRequest, Depends(search_request)], corpus: CorpusDep) -> SearchResponse:
    """The best passages of each source by cosine similarity, across languages; no stance, no verdict."""
    (result,) = corpus.search([body.query], top_k=body.top_k)
    return SearchResponse.from_core(result)


@router.get(
    "/v1/sources",
    tags=["corpus"],
    summary="The sources in the index",
    responses={200: _example([SOURCE_EXAMPLE]), **documented(500, 503)},
)
def sources(corpus: CorpusDep) -> list[SourceInfo]:
    """Every source with its title, date, language and sentence count, by source id."""
    return [SourceInfo.from_core(s) for s in corpus.sources()]


@router.post(
    "/v1/documents",
    tags=["corpus"],
    summary="Add a document, or replace the one with the same source id",
    dependencies=[WriteAccess],
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": SourceInfo, "description": "Replaced the source with this id, or it was unchanged"},
        201: _example(SOURCE_EXAMPLE) | {"description": "Added a new source"},
        **documented(400, 401, 403, 413, 422, 500, 503),
    },
)
def put_document(body: DocumentRequest, corpus: CorpusDep, settings: SettingsDep, response: Response) -> SourceInfo:
    """Needs the API key. The document is split into sentences, embedded and committed to the index
    before the answer is sent: the next request, in any worker, sees it, and it survives a restart.
    201 when the source is new, 200 when it replaced one (or was identical to it): sending the same document
    again is safe, so a client that gave up waiting retries and gets 200. A text over CROSSCHECK_MAX_DOCUMENT_CHARS
    (default 100,000 characters, after HTML extraction) answers 413 before any work: `crosscheck ingest` takes it.
    With a `url` alone the page is fetched first: a URL that may not be fetched (`fetch_refused`) or that fails
    (`fetch_failed`: 404, timeout, too large, not HTML) answers 422 with the reason."""
    if body.fetches:
        change, record = corpus.put_url(str(body.url), source_id=body.source_id, overrides=body.metadata())
    else:
        change, record = corpus.put_document(document_of(body, max_chars=settings.max_document_chars))
    if change != "added":
        response.status_code = status.HTTP_200_OK
    return SourceInfo.from_core(record)


def document_of(body: DocumentRequest, *, max_chars: int | None = None) -> Document:
    """The document a request gives as text or html (fields given override what the html says); a text over
    ``max_chars`` is refused before any work."""
    fields: dict[str, Any] = {}
    text = body.text
    if body.html is not None:
        text, fields = parse_html(body.html, where="html")
    if max_chars is not None:
        _within_document_limit(text or "", "html" if body.html is not None else "text", max_chars)
    return Document(source_id=str(body.source_id), text=text or "", **{**fields, **body.metadata()})


@router.delete(
    "/v1/documents/{source_id}",
    tags=["corpus"],
    summary="Remove a source and its passages",
    dependencies=[WriteAccess],
    status_code=status.HTTP_204_NO_CONTENT,
    responses={204: {"description": "Deleted"}, **documented(401, 403, 404, 500, 503)},
)
def delete_document(
    source_id: Annotated[str, Path(pattern=SOURCE_ID_PATTERN, description="The source to remove")],
    corpus: CorpusDep,
) -> Response:
    """Needs the API key. Committed to the index before the answer is sent."""
    if not corpus.delete(source_id):
        raise HTTPException(404, f"no source {source_id!r} in the index")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/healthz", tags=["service"], summary="The process is up")
def healthz() -> Health:
    """Always 200 while the process answers; says nothing about the index (that is /readyz)."""
    return Health()


@router.get(
    "/readyz",
    tags=["service"],
    summary="The index is loaded and requests are answered",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "Still loading, or loading failed (see message)"}},
)
def readyz(state: StateDep) -> Readiness | JSONResponse:
    """200 once the index is in memory; 503 while it loads (the seeds are indexed on first start) or if it
    cannot be loaded, with the reason."""
    if state.verifier is None:
        failed = state.error is not None
        body = Readiness(
            status="failed" if failed else "loading",
            message=state.error or "loading the model and the index",
        )
        return JSONResponse(body.model_dump(), status_code=503, headers={"Retry-After": "5"})
    store = state.corpus.store()
    counts = store.counts()
    return Readiness(
        status="ready",
        sources=counts.sources,
        passages=counts.passages,
        generation=store.version,
        model=store.model,
    )
