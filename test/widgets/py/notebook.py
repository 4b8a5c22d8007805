"""An executed notebook keeps its widgets' state: nbclient (as nbconvert --execute and papermill use it)
records the jupyter.widget comms and saves metadata.widgets; the outputs hold the widget views."""
import sys

import nbformat
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

sys.path.insert(0, __import__("os").path.join(__import__("os").path.dirname(__file__), "..", "..", "kernel", "py"))
from kclient import KERNEL, emit  # noqa: E402

nb = new_notebook(cells=[
    new_code_cell('import { IntSlider, Dropdown, VBox, interact } from "sluice";\n'
                  'const n = new IntSlider({ value: 4, min: 0, max: 10, description: "n" });\n'
                  'const who = new Dropdown({ options: ["acme", "globex"], value: "acme" });\n'
                  'const view = interact(({ n, who }) => `${who}: ${n * n}`, { n, who });\nawait view.latest;\nview'),
    new_code_cell("n.value = 6;\nawait view.latest;"),
], metadata={"kernelspec": {"name": KERNEL, "display_name": "TypeScript (Sluice)", "language": "typescript"}})

results = {}
try:
    NotebookClient(nb, timeout=60, kernel_name=KERNEL).execute()
    # The interact re-run after `n.value = 6` lands asynchronously; the last cell waited for it.
    results["metadata"] = nb.metadata.get("widgets")
    results["outputs"] = [c.outputs for c in nb.cells]
    nbformat.validate(nb)
    results["valid"] = True
except Exception:  # noqa: BLE001
    import traceback
    results["error_in_driver"] = traceback.format_exc()
emit(results)
