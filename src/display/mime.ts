// The MIME types of Sluice's rich outputs, shared by the library (which writes them) and the JupyterLab
// extension (which draws them; it compiles this file, so no Node-only imports here).

export const PROGRESS_MIME = "application/vnd.sluice.progress+json";
export const FRAME_MIME = "application/vnd.sluice.frame+json";
export const PLAN_MIME = "application/vnd.sluice.plan+json";
export const VEGALITE_MIME = "application/vnd.vegalite.v5+json";
