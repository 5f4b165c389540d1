# The app image used by docker-compose.yml (PostgreSQL + Elasticsearch deployment).
FROM python:3.11-slim
WORKDIR /app
COPY requirements.txt pyproject.toml README.md ./
COPY lib ./lib
RUN pip install --no-cache-dir -r requirements.txt && pip install --no-cache-dir --no-deps -e .
COPY app.py ./
COPY views ./views
COPY .streamlit/config.toml ./.streamlit/config.toml
COPY data/sample_campaigns.csv ./data/sample_campaigns.csv
EXPOSE 8501
CMD ["streamlit", "run", "app.py", "--server.port", "8501", "--server.address", "0.0.0.0"]
