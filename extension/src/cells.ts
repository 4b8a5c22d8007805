import { NotebookPanel } from '@jupyterlab/notebook';

// A job's cell in the notebook the panel follows: the kernel stamps each job with the id of the cell
// that ran it (JupyterLab's cell id), which this maps to the cell's place and execution count, and
// reveals (scrolls to and selects) on request.

export interface CellRef {
  index: number;
  /** The cell's execution count now (null while it runs or before it ran). */
  executionCount: number | null;
}

export interface CellLocator {
  find(cellId: string): CellRef | undefined;
  reveal(cellId: string): boolean;
}

export class NotebookCells implements CellLocator {
  constructor(private readonly panel: NotebookPanel) {}

  find(cellId: string): CellRef | undefined {
    if (this.panel.isDisposed) return undefined;
    const cells = this.panel.content.model?.cells;
    if (!cells) return undefined;
    for (let i = 0; i < cells.length; i++) {
      const cell = cells.get(i);
      if (cell.id !== cellId) continue;
      const count = cell.type === 'code' ? (cell as unknown as { executionCount: number | null }).executionCount : null;
      return { index: i, executionCount: count ?? null };
    }
    return undefined;
  }

  reveal(cellId: string): boolean {
    const found = this.find(cellId);
    if (!found) return false;
    const notebook = this.panel.content;
    notebook.mode = 'command';
    notebook.activeCellIndex = found.index;
    notebook.deselectAll();
    const cell = notebook.widgets[found.index];
    if (cell) void notebook.scrollToCell(cell, 'center');
    notebook.node.focus();
    return true;
  }
}
