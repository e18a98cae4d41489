"""Code that runs inside the sandbox (run.py, probes.py), and the archive format both sides share (npzio.py)."""
