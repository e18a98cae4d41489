"""Sweep the seeds of the SGD training tests in test_training.py, for solution/ and for bugs that
change a gradient's scale, and print the held-out accuracies (the thresholds come from this).

    .venv/bin/python tests/sgd_training_sweep.py [number of seeds, default 20]

Each line: recipe, optimizer, implementation, then min / mean / max accuracy over the seeds.
About 70 seconds on one core for 20 seeds.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parent.parent)]

import reference_bugs  # noqa: E402
import solution  # noqa: E402
from test_training import SGD_RECIPES, held_out_accuracy  # noqa: E402

SCALE_BUGS = ("layer_weight_gradient_divided_by_m", "layer_bias_gradient_averaged", "cross_entropy_backward_missing_1_over_m")


def main() -> None:
    seeds = range(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
    with tempfile.TemporaryDirectory() as folder:
        packages = {"solution": solution}
        for name in SCALE_BUGS:
            bug = reference_bugs.BUGS_BY_NAME[name]
            packages[name] = reference_bugs.load_package(reference_bugs.copy_with_bug(bug, Path(folder), f"sweep_{name}"))
        for recipe_name, recipe in SGD_RECIPES.items():
            print(f"{recipe_name}: {recipe}  (required accuracy {recipe.required_accuracy})")
            for optimizer in ("sgd", "adam"):
                for package_name, package in packages.items():
                    with np.errstate(all="ignore"):
                        accuracies = [held_out_accuracy(package, recipe, optimizer, seed) for seed in seeds]
                    print(
                        f"  {optimizer:4s} {package_name:42s} min {min(accuracies):.3f}  mean {np.mean(accuracies):.3f}"
                        f"  max {max(accuracies):.3f}  below the bar on {sum(a < recipe.required_accuracy for a in accuracies)}"
                        f"/{len(accuracies)} seeds",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
