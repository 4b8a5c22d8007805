// `sluice run`: execute a notebook headless with parameters (see docs/run.md).
import { Command, InvalidArgumentError, Option } from "commander";
import { accessSync, constants, existsSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, extname, join, resolve } from "node:path";
import { UsageError } from "../run/errors.js";
import { fail } from "./errors.js";
import { positiveSeconds } from "./options.js";

export function register(program: Command): void {
  pairParameterArgs(process.argv);
  program
    .command("run")
    .summary("run a notebook headless with parameters (papermill for TypeScript and Python)")
    .description(
      "Execute INPUT.ipynb in its kernel with parameters injected after the cell tagged `parameters`, saving OUTPUT.ipynb after " +
        "every cell. `-` reads stdin / writes stdout. Default OUTPUT: INPUT.out.ipynb (stdout when INPUT is -).\n" +
        "Exit codes: 0 ok, 1 a cell failed, 2 bad usage or parameters, 3 timeout, 4 the kernel died, 130 interrupted.",
    )
    .argument("[input]", "notebook to run, or - for stdin")
    .argument("[output]", "where to write the executed notebook, or - for stdout")
    .addOption(new Option("-p, --parameters <NAME VALUE>", "set a parameter (repeatable); VALUE is read by the type declared in the parameters cell").argParser(collectPair))
    .addOption(new Option("-y, --parameters-yaml <YAML>", "parameters as a YAML mapping (repeatable)").argParser(collect))
    .addOption(new Option("-f, --parameters-file <FILE>", "parameters from a YAML/JSON file (repeatable)").argParser(collect))
    .option("--prepare-only", "inject the parameters and write the notebook without executing it")
    .option("--kernel <NAME>", "kernelspec to run with (default: the notebook's metadata.kernelspec.name)")
    .option("--cwd <DIR>", "kernel working directory (default: the input notebook's folder)")
    .option("--cell-timeout <S>", "seconds a cell may run before it is interrupted (exit 3)", positiveSeconds)
    .option("--start-timeout <S>", "seconds to wait for the kernel to start", positiveSeconds, 60)
    .option("--allow-errors", "keep running after a failing cell (exit 1 at the end)")
    .option("--log-output", "stream cell outputs to stderr as they come")
    .option("--no-progress", "no progress bar on stderr")
    .option("--report-mode", "hide code cell inputs in the output notebook")
    .option("--strict", "an unknown parameter is an error, not a warning")
    .option("--server <URL>", "run on a Jupyter Server instead of a local kernel")
    .option("--token <T>", "the Jupyter Server's token (default: $JUPYTER_TOKEN)")
    .option("--help-notebook", "list the notebook's parameters (name, type, default, comment) and exit")
    .action(async (input: string | undefined, output: string | undefined, opts: RunCliOptions) => {
      process.exitCode = await runCommand(input, output, opts);
    });
}

interface RunCliOptions {
  parameters?: Array<[string, string]>;
  parametersYaml?: string[];
  parametersFile?: string[];
  prepareOnly?: boolean;
  kernel?: string;
  cwd?: string;
  cellTimeout?: number;
  startTimeout: number;
  allowErrors?: boolean;
  logOutput?: boolean;
  progress: boolean;
  reportMode?: boolean;
  strict?: boolean;
  server?: string;
  token?: string;
  helpNotebook?: boolean;
}

const PAIR_MARK = "\u0000sluice-pair:";

/** `-p NAME VALUE` takes two words (like papermill); join them into one argument for commander. */
function pairParameterArgs(argv: string[]): void {
  if (!argv.slice(2).includes("run")) return;
  for (let i = argv.indexOf("run") + 1; i < argv.length; i++) {
    if (argv[i] === "--") break;
    if ((argv[i] === "-p" || argv[i] === "--parameters") && i + 2 < argv.length) {
      argv.splice(i + 1, 2, PAIR_MARK + JSON.stringify([argv[i + 1], argv[i + 2]]));
      i += 1;
    }
  }
}

function collectPair(value: string, previous: Array<[string, string]> = []): Array<[string, string]> {
  if (!value.startsWith(PAIR_MARK)) throw new InvalidArgumentError("-p needs a name and a value: -p NAME VALUE");
  return [...previous, JSON.parse(value.slice(PAIR_MARK.length)) as [string, string]];
}
function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

async function runCommand(input: string | undefined, output: string | undefined, opts: RunCliOptions): Promise<number> {
  const run = await import("../run/index.js");
  const { parseYamlParameters } = await import("../run/parameters.js");
  const err = process.stderr;
  try {
    if (!input) throw new run.RunUsageError("missing INPUT notebook (a path, or - for stdin)");
    if (opts.helpNotebook) return await helpNotebook(input, opts.kernel);
    if (opts.server && opts.token === undefined) opts.token = process.env.JUPYTER_TOKEN;
    if (opts.token && !opts.server) throw new run.RunUsageError("--token needs --server URL");

    const parameters: Record<string, unknown> = {};
    for (const file of opts.parametersFile ?? []) {
      let text: string;
      try {
        text = readFileSync(file, "utf8");
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new run.RunUsageError(`cannot read parameters file ${file} (${code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a folder" : (code ?? e)}); check the path after -f`);
      }
      Object.assign(parameters, parseYamlParameters(text, file));
    }
    for (const yaml of opts.parametersYaml ?? []) Object.assign(parameters, parseYamlParameters(yaml, "-y"));

    const outputPath = output ?? (input === "-" ? "-" : join(dirname(input), `${basename(input, extname(input))}.out.ipynb`));
    checkOutputPath(outputPath, input);
    // With --server the folder is the server's, relative to its root: only the server can check it.
    if (opts.cwd !== undefined && !opts.server && !(existsSync(opts.cwd) && statSync(opts.cwd).isDirectory()))
      throw new run.RunUsageError(`--cwd ${opts.cwd} is not a folder; give the folder the kernel should start in`);
    const showProgress = opts.progress && !!err.isTTY && !opts.prepareOnly;
    const { ProgressBar } = await import("../run/progress-bar.js");
    const bar = showProgress ? new ProgressBar(err) : undefined;
    const write = (text: string) => {
      bar?.clear();
      err.write(text);
    };
    const abort = new AbortController();
    let interrupts = 0;
    const onSigint = () => {
      interrupts += 1;
      if (interrupts > 1) process.exit(130);
      write("\nsluice run: interrupting the kernel (Ctrl-C again to quit at once)\n");
      abort.abort();
    };
    process.on("SIGINT", onSigint);
    process.on("SIGTERM", onSigint);

    let result: Awaited<ReturnType<typeof run.executeNotebook>>;
    try {
      result = await run.executeNotebook(input, {
        parameters,
        rawParameters: opts.parameters,
        strict: opts.strict,
        outputPath,
        kernelName: opts.kernel,
        cwd: opts.cwd,
        cellTimeoutMs: opts.cellTimeout ? opts.cellTimeout * 1000 : undefined,
        startTimeoutMs: opts.startTimeout * 1000,
        allowErrors: opts.allowErrors,
        prepareOnly: opts.prepareOnly,
        reportMode: opts.reportMode,
        server: opts.server ? { url: opts.server, token: opts.token } : undefined,
        signal: abort.signal,
        onWarning: (m) => write(`sluice run: warning: ${m}\n`),
        onCell: bar ? (e) => bar.onCell(e) : undefined,
        onOutput: opts.logOutput ? (o) => write(outputText(o)) : undefined,
      });
    } finally {
      bar?.stop();
      process.off("SIGINT", onSigint);
      process.off("SIGTERM", onSigint);
    }
    const { summary, notebook } = result;
    if (outputPath === "-") await new Promise<void>((r) => process.stdout.write(run.serializeNotebook(notebook), () => r()));
    const where = outputPath === "-" ? "stdout" : outputPath;
    const secs = (summary.durationMs / 1000).toFixed(1);
    if (summary.status === "succeeded" || summary.status === "prepared") {
      err.write(`sluice run: ${summary.status} (${summary.cellsExecuted}/${summary.cellsTotal} cells, ${secs}s) → ${where}\n`);
    } else {
      const e = summary.error!;
      err.write(`sluice run: ${summary.status}: ${e.message}\n`);
      if (e.traceback?.length) err.write(stripAnsi(e.traceback.join("\n"), !err.isTTY) + "\n");
      if (e.stderrTail?.length) err.write(`last kernel stderr:\n  ${e.stderrTail.join("\n  ")}\n`);
      err.write(`sluice run: partial notebook (error banner at the top) → ${where}\n`);
    }
    // Anything left holding the event loop (a stuck remote socket) must not keep a finished run alive.
    setTimeout(() => process.exit(summary.exitCode), 3000).unref();
    return summary.exitCode;
  } catch (e) {
    return fail(e);
  }
}

/** Refuses an OUTPUT that cannot be written before any cell runs (its missing folders are created). */
function checkOutputPath(output: string, input: string): void {
  if (output === "-") return;
  const full = resolve(output);
  const example = join(output, input === "-" ? "out.ipynb" : basename(input));
  if (existsSync(full) && statSync(full).isDirectory()) throw new UsageError(`OUTPUT ${output} is a folder; name the notebook file to write, e.g. ${example}`);
  let dir = dirname(full);
  while (!existsSync(dir)) dir = dirname(dir);
  if (!statSync(dir).isDirectory()) throw new UsageError(`cannot create OUTPUT ${output}: ${dir} is a file, not a folder; choose another OUTPUT path`);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new UsageError(`cannot write OUTPUT ${output}: no permission to write in ${dir}; choose another OUTPUT path`);
  }
}

async function helpNotebook(input: string, kernel: string | undefined): Promise<number> {
  const run = await import("../run/index.js");
  const nb = run.readNotebook(input);
  let language = nb.metadata.kernelspec?.language ?? nb.metadata.language_info?.name;
  if (kernel) language = run.findKernelSpec(kernel).language;
  const { specs, cell, translator } = run.notebookParameters(nb, language);
  const out = process.stdout;
  out.write(`Parameters of ${input === "-" ? "stdin" : input} (${language ?? "unknown language"}, kernel ${kernel ?? nb.metadata.kernelspec?.name ?? "?"}):\n`);
  if (!translator) out.write(`  (no translator for ${language ?? "this notebook"}: its parameters cannot be read)\n`);
  else if (!cell) out.write(`  (no cell tagged "parameters")\n`);
  else if (specs.length === 0) out.write("  (the parameters cell declares nothing)\n");
  const rows = specs.map((s) => [s.name, s.typeText + (s.declared ? "" : " (inferred)"), s.defaultText, s.comment ?? ""]);
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length), 4));
  for (const r of rows) out.write(`  ${r[0].padEnd(widths[0])}  ${r[1].padEnd(widths[1])}  default ${r[2].padEnd(widths[2])}  ${r[3]}`.trimEnd() + "\n");
  return 0;
}

function outputText(o: { output_type: string; [k: string]: unknown }): string {
  if (o.output_type === "stream") return String(o.text);
  if (o.output_type === "error") return stripAnsi(((o.traceback as string[]) ?? []).join("\n"), !process.stderr.isTTY) + "\n";
  const data = o.data as Record<string, unknown> | undefined;
  const text = data?.["text/plain"];
  return text === undefined ? "" : (Array.isArray(text) ? text.join("") : String(text)) + "\n";
}

function stripAnsi(text: string, strip: boolean): string {
  return strip ? text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "") : text;
}
