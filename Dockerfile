# Omniflow integrations backend: web (gunicorn) by default; the same image runs the worker
# with `celery -A omniflow worker --beat` (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DEBUG=false

WORKDIR /app
RUN groupadd --system omniflow && useradd --system --gid omniflow --home /app omniflow

COPY requirements.txt .
# requirements.txt alone is the runtime (celery[redis] brings kombu's Redis dependencies);
# tests/production/test_fresh_install.py installs it the same way into a fresh venv.
RUN pip install -r requirements.txt

COPY . .
# collectstatic needs no database, only a key (DEBUG is off). Nothing at run time writes under
# /app: beat keeps its schedule in memory and settings create no files.
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput

USER omniflow
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"
CMD ["gunicorn", "omniflow.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
