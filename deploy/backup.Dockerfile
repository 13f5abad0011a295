# The Dossier image with PostgreSQL's client programs for `manage.py dossier_backup` / `dossier_restore`.
# pg_dump must be at least the server's version (compose.yaml runs postgres:16), and Debian bookworm ships 15:
# the client comes from the PostgreSQL project's own Debian repository (apt.postgresql.org).
#   docker build -f deploy/backup.Dockerfile --build-arg PG_MAJOR=16 -t dossier-backup .
FROM python:3.11-slim-bookworm
ARG PG_MAJOR=16
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DOSSIER_DATA_DIR=/var/lib/dossier
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl gnupg libmagic1 \
    && curl -fsSL https://www.postgresql.org/media/keys/ACCC4CF8.asc \
       | gpg --dearmor -o /usr/share/keyrings/postgresql.gpg \
    && echo "deb [signed-by=/usr/share/keyrings/postgresql.gpg] https://apt.postgresql.org/pub/repos/apt bookworm-pgdg main" \
       > /etc/apt/sources.list.d/pgdg.list \
    && apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client-${PG_MAJOR} \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN useradd --system --home /var/lib/dossier dossier && mkdir -p /var/lib/dossier /var/backups/dossier \
    && chown dossier /var/lib/dossier /var/backups/dossier
USER dossier
# DEST is a directory (a mounted volume) or an s3:// URL: BACKUP_DEST in the environment.
CMD ["sh", "-c", "exec python manage.py dossier_backup \"$BACKUP_DEST\" --no-progress --keep \"${BACKUP_KEEP:-14}\""]
