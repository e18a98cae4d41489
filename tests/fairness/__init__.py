"""The fairness catalogue: realistic student submissions with their fair points per module, written
down before grading (catalogue.py), and the builder that turns each into six module files from
starter/ (build.py). fairness/test_fairness.py and benchmarks/bench_fairness.py grade them."""
