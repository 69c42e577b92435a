"""Benchmark set-up: single-threaded core unless a benchmark says otherwise, and the bench modules'
own directory on sys.path for the shared corpus generator."""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Peers run single-threaded from Python; measure neardup's core on one thread too (the report script
# measures 2-thread scaling separately). Must be set before the core starts its thread pool.
os.environ.setdefault("RAYON_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))
