"""Independent implementations in several styles, and the plants that copy one of them (tests/reports/test_similarity.py)."""
