// The development context in the real Sluice kernel, started the way Jupyter Server starts it for a
// notebook (JPY_SESSION_NAME, the notebook's folder as cwd), driven by jupyter_client: context.params
// comes from the notebook's parameters cell and follows the cell when the user edits and re-runs it.
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installSluiceKernel, notebook, python, tempDir, writeNotebook } from "../run/helpers.js";

const driver = join(import.meta.dirname, "py", "dev_context.py");
let jupyterPath: string;
let dir: string;
let nbPath: string;

beforeAll(() => {
  jupyterPath = installSluiceKernel();
  dir = tempDir("sluice-dev-context-");
  mkdirSync(join(dir, "sub"));
  nbPath = writeNotebook(
    join(dir, "sub"),
    "dev.ipynb",
    notebook(
      [
        { source: 'const factor = 2; // scale\nconst label: string = "base";\nconst tags = ["a", "b"];', tags: ["parameters"] },
        'import { context } from "sluice";\ncontext.params.factor * 10',
      ],
      { name: "sluice", language: "typescript" },
    ),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function session(sessionName: string, cwd: string): Record<string, unknown> {
  const env: NodeJS.ProcessEnv = { ...process.env, JUPYTER_PATH: jupyterPath };
  delete env.SLUICE_CONTEXT;
  return JSON.parse(execFileSync(python, [driver, sessionName, cwd], { env, encoding: "utf8", timeout: 120_000 }));
}

/** The kernel shows a string result quoted ('…'). */
const params = (text: unknown) => JSON.parse(String(text).slice(1, -1));

describe("context outside a run (JupyterLab)", () => {
  it("takes params from the parameters cell, then the kernel's current values after the cell is edited and re-run", () => {
    const s = session(nbPath, join(dir, "sub"));
    expect(s.in_pipeline).toBe("false");
    expect(params(s.before)).toEqual({ factor: 2, label: "base", tags: ["a", "b"] });
    // Names come from the saved cell (`since` is not in it); values from what ran last.
    expect(params(s.after)).toEqual({ factor: 7, label: "edited", tags: ["a", "b"] });
  });

  it("finds the notebook from a session path relative to the server root (the kernel runs in its folder)", () => {
    const s = session("sub/dev.ipynb", join(dir, "sub"));
    expect(params(s.before)).toEqual({ factor: 2, label: "base", tags: ["a", "b"] });
  });

  it("without a notebook session, params are empty", () => {
    const s = session("", dir);
    expect(params(s.before)).toEqual({});
    expect(s.in_pipeline).toBe("false");
  });
});
