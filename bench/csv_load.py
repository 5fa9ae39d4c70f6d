"""Loading Kaggle's CSV files: the first load (parse + validate + cache) against later loads (the cache)
and against the IDX files. Writes the real dataset as Kaggle-format CSVs in a temporary folder.

    python bench/csv_load.py --repeats 3
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="fmnist-csv-bench-") as tmp:
        os.environ["XDG_CACHE_HOME"] = str(Path(tmp) / "cache")  # a fresh parse cache, removed at the end
        import pandas  # noqa: F401  (imported once by the first load; not what is measured)

        from fmnist_core.fashion import dataset as fashion
        from fmnist_core.fashion.kaggle_csv import HEADER

        idx_dir = fashion.locate()
        if idx_dir is None or fashion.dataset_format(idx_dir) != "idx":
            raise SystemExit("needs the IDX files (e.g. Debian's dataset-fashion-mnist) to write the CSVs from")
        real = fashion.read_arrays(idx_dir)
        csv_dir = Path(tmp) / "kaggle"
        csv_dir.mkdir()
        t = time.perf_counter()
        for name, (split, _) in fashion.CSV_FILES.items():
            images, labels = real[f"{split}_images"], real[f"{split}_labels"]
            table = np.concatenate([labels[:, None], images.reshape(len(images), -1)], axis=1)
            np.savetxt(csv_dir / name, table, fmt="%d", delimiter=",", header=",".join(HEADER), comments="")
        print(f"wrote the CSVs in {time.perf_counter() - t:.1f} s "
              f"({sum(f.stat().st_size for f in csv_dir.iterdir()) / 1e6:.0f} MB)")

        t = time.perf_counter()
        first = fashion.read_arrays(csv_dir)
        first_s = time.perf_counter() - t
        assert all(np.array_equal(first[k], real[k]) for k in real), "the CSVs did not load back to the IDX arrays"

        def median_load(directory: Path) -> float:
            times = []
            for _ in range(args.repeats):
                t = time.perf_counter()
                fashion.read_arrays(directory)
                times.append(time.perf_counter() - t)
            return statistics.median(times)

        later_s, idx_s = median_load(csv_dir), median_load(idx_dir)
        print(f"CSV first load (parse, validate, write the cache): {first_s:.2f} s")
        print(f"CSV later loads (the cache), median of {args.repeats}: {later_s:.2f} s")
        print(f"IDX files from {idx_dir}, median of {args.repeats}: {idx_s:.2f} s")


if __name__ == "__main__":
    main()
