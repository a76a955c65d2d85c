"""The file formats scripts rely on: JSONL (lossless) and CSV;
each is written and read in one module."""
