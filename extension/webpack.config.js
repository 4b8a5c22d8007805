// Extra bundler options merged by @jupyter/builder (package.json jupyterlab.webpackConfig).
// anywidget's npm front end is an AMD module (`define(["@jupyter-widgets/base"], …)`); Rspack leaves
// `define` alone unless AMD is on, and JupyterLab has no global `define`.
module.exports = { amd: {} };
