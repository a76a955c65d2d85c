"""The file formats scripts rely on: JSONL (the lossless export) and CSV, each read and written in one module."""
