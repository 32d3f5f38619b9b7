# crosscheck: the HTTP API and the web page, with the index on a volume (see docker-compose.yml).
#
# The install steps are the Makefile's and the README's, in the same order (tests/test_deploy.py checks):
# the CPU build of torch first, so pip never resolves the CUDA wheels, then the package with constraints.txt.
FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/crosscheck
ENV PATH=/opt/crosscheck/bin:$PATH
WORKDIR /src
RUN pip install --upgrade pip \
 && pip install --index-url https://download.pytorch.org/whl/cpu "torch==2.13.0"
COPY pyproject.toml constraints.txt README.md ./
COPY setup.py ./
COPY index ./index
COPY service ./service
# the verdict engine compiled with mypyc (setup.py): fail here rather than serve a slower build;
# with the milvus extra, so that one image serves either store (CROSSCHECK_STORE)
ENV CROSSCHECK_COMPILE=1
RUN pip install -c constraints.txt ".[milvus]"


FROM python:3.11-slim

ENV PATH=/opt/crosscheck/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    CROSSCHECK_INDEX_DIR=/data/index \
    CROSSCHECK_SEEDS_DIR=/opt/crosscheck-seeds \
    CROSSCHECK_HOST=0.0.0.0 \
    CROSSCHECK_PORT=8000
COPY --from=build /opt/crosscheck /opt/crosscheck
COPY seeds /opt/crosscheck-seeds
RUN useradd --system --uid 10001 --home-dir /data crosscheck \
 && mkdir -p /data/index \
 && chown -R crosscheck /data
USER crosscheck
# The index lives here; on first start (an empty volume) the seeds are indexed into it.
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s --start-period=120s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4)"]
# SIGTERM (docker stop) lets requests in flight finish, then exits.
ENTRYPOINT ["crosscheck"]
CMD ["serve"]
