"""gunicorn settings for Dossier's web processes: `gunicorn -c deploy/gunicorn.conf.py backend.wsgi`.

Everything can be overridden on the command line or with GUNICORN_CMD_ARGS. What this file adds:

* Prometheus across workers: with PROMETHEUS_MULTIPROC_DIR set (an empty directory on local disk,
  the same for every worker), /metrics adds up all workers' counters. The directory is emptied when
  the master starts, and a worker's live gauges are dropped when it exits.
* JSON access lines when DOSSIER_LOG_FORMAT=json (Dossier itself then logs one line per request
  with its request id, so gunicorn's own access log is switched off).
"""

import os
import shutil
from pathlib import Path

bind = os.environ.get("DOSSIER_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("DOSSIER_WEB_WORKERS", "4"))
threads = int(os.environ.get("DOSSIER_WEB_THREADS", "4"))
# Large uploads and downloads stream for a long time.
timeout = int(os.environ.get("DOSSIER_WEB_TIMEOUT", "600"))
graceful_timeout = 30
accesslog = None if os.environ.get("DOSSIER_LOG_FORMAT", "").lower() == "json" else "-"
errorlog = "-"


def on_starting(server):
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        path = Path(directory)
        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
