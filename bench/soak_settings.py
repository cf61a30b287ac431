"""The soak's settings, from SOAK_* environment variables (see soak.py), and its bounds."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PYTHON = sys.executable

PG_URL = os.environ.get("SOAK_PG_URL", "postgres://postgres@127.0.0.1:5432")
DB_NAME = os.environ.get("SOAK_DB", "amrutam_soak")
REDIS_URL = os.environ.get("SOAK_REDIS_URL", "redis://127.0.0.1:6379/10")
PORT = int(os.environ.get("SOAK_PORT", 8200))
SECONDS = int(os.environ.get("SOAK_SECONDS", 600))
WARMUP = int(os.environ.get("SOAK_WARMUP_SECONDS", min(60, max(10, SECONDS // 10))))
SAMPLE_EVERY = int(os.environ.get("SOAK_SAMPLE_SECONDS", max(5, min(30, SECONDS // 20))))
WORKERS = int(os.environ.get("SOAK_WORKERS", 4))
THREADS = int(os.environ.get("SOAK_THREADS", 4))
CLIENTS = int(os.environ.get("SOAK_CLIENTS", 16))
RATE = float(os.environ.get("SOAK_RATE", 100))
MAX_ERROR_RATE = float(os.environ.get("SOAK_MAX_ERROR_RATE", 0.001))
MAX_RSS_GROWTH_MB = float(os.environ.get("SOAK_MAX_RSS_GROWTH_MB", 25))
MAX_DB_CONNECTIONS = WORKERS * (THREADS + 1)
RECONNECT_EVERY = 100
DOCTORS = 40
PATIENTS = 200
SLOTS_PER_DAY = 16
PASSWORD = "Soak-Password-2025!"

# kind, share of requests, expected status
MIX = [
    ("availability", 0.50, 200),
    ("directory", 0.15, 200),
    ("my_consultations", 0.15, 200),
    ("booking", 0.20, 201),
]
