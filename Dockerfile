FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DATABASE_PATH=/app/data/bot.sqlite3

WORKDIR /app
RUN useradd --create-home --uid 1000 bot

COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
RUN pip install . && mkdir -p /app/data && chown bot:bot /app/data

USER bot
VOLUME ["/app/data"]
CMD ["python", "-m", "bot"]
