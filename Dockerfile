# The app image used by docker-compose.yml (PostgreSQL + Elasticsearch deployment); the same
# image runs the inbox watcher there (`competiscan watch`).
FROM python:3.11-slim
WORKDIR /app
# jemalloc as the C allocator: search indexing is cheaper with it than with glibc's malloc
# (lib/competiscan/allocator.py; figures in docs/benchmarks.md).
RUN apt-get update && apt-get install -y --no-install-recommends libjemalloc2 \
    && rm -rf /var/lib/apt/lists/*
ENV LD_PRELOAD=libjemalloc.so.2
COPY requirements.txt pyproject.toml README.md ./
COPY lib ./lib
RUN pip install --no-cache-dir -r requirements.txt && pip install --no-cache-dir --no-deps -e .
COPY app.py ./
COPY views ./views
COPY .streamlit/config.toml ./.streamlit/config.toml
COPY data/sample_campaigns.csv ./data/sample_campaigns.csv
EXPOSE 8501
CMD ["streamlit", "run", "app.py", "--server.port", "8501", "--server.address", "0.0.0.0"]
