"""The companion notebook runs top to bottom (short mode) on a local kernel, so it never rots."""
import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "fashion_mnist.ipynb"


def test_notebook_is_committed_clean():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)  # small, reviewable diffs


@pytest.mark.slow
def test_notebook_executes_in_short_mode(monkeypatch, tmp_path):
    monkeypatch.setenv("FMNIST_NOTEBOOK_QUICK", "1")
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "jupyter"))  # ignore a user's own kernelspecs
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=240, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute()  # raises CellExecutionError with the cell's traceback on any error

    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    images = [o for o in outputs if o.output_type == "display_data" and "image/png" in o.data]
    assert len(images) == 4  # one image per class, the curves, the confusion matrix, the drawing
    assert "6,000 training and 1,000 test images" in text
    assert re.search(r"2/2 \[.*epoch", text)  # the progress bar reached its end
    acc = float(re.search(r"finished: test accuracy (\d\.\d+)", text).group(1))
    assert acc > 0.6
    said = re.search(r"The network says: (.+) \((\d+)%\)", text)
    assert said and said.group(1) in {"Trouser", "Dress"}  # a clear trouser drawing; 2 epochs on 6k images
    diff = float(re.search(r"largest difference in a probability: (\S+)", text).group(1))
    assert diff < 1e-4  # the bundled CNN exported to ONNX gives PyTorch's answers
    assert "ONNX on the drawing: Trouser" in text
