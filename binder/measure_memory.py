"""Peak memory of each solution notebook, run as a learner would: one fresh kernel each.

    python binder/measure_memory.py [solutions/NN_name.ipynb ...]

mybinder.org gives 2 GB; the course keeps every notebook under 1.5 GB. The figure
is the kernel process's peak resident set size (ru_maxrss), read in the kernel
itself after the last cell.
"""
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

PROBE = "import resource; print('PEAK_RSS_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"


def peak_rss_mb(path):
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    start = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(Path(path).parent)}}).execute()
    seconds = time.perf_counter() - start
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    kb = int(text.split("PEAK_RSS_KB")[1].split()[0])
    return kb / 1024, seconds


def main(paths):
    paths = paths or sorted(str(p) for p in Path("solutions").glob("*.ipynb"))
    worst = 0.0
    print(f"{'notebook':45} {'peak RSS':>10} {'time':>8}")
    for path in paths:
        mb, seconds = peak_rss_mb(path)
        worst = max(worst, mb)
        print(f"{Path(path).name:45} {mb:8.0f} MB {seconds:7.1f}s")
    print(f"worst: {worst:.0f} MB (limit 1536 MB)")
    return 0 if worst < 1536 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
