// `sluice kernel install | list | uninstall`: the Jupyter kernelspec of the Sluice kernel.
import type { Command } from "commander";
import { install, list, uninstall, DEFAULT_NAME, KernelspecError } from "../../kernel/kernelspec.js";

/** Known failures print one actionable line and exit 1; anything else is a bug and keeps its stack. */
function guarded<A extends unknown[]>(action: (...args: A) => void): (...args: A) => void {
  return (...args: A) => {
    try {
      action(...args);
    } catch (error) {
      if (!(error instanceof KernelspecError)) throw error;
      console.error(`sluice kernel: ${error.message}`);
      process.exitCode = 1;
    }
  };
}

export function register(program: Command): void {
  const kernel = program.command("kernel").description("install the Sluice Jupyter kernel (TypeScript) so Jupyter can start it");
  kernel
    .command("install")
    .description("write the kernelspec (kernel.json with interrupt_mode message, logos) where `jupyter kernelspec install` would")
    .option("--user", "install for the current user (Jupyter's user data folder: `jupyter --data-dir`)")
    .option("--sys-prefix", "install into the active Python environment (sys.prefix/share/jupyter)")
    .option("--prefix <dir>", "install into DIR/share/jupyter")
    .option("--name <name>", "kernel name", DEFAULT_NAME)
    .action(guarded((opts: { user?: boolean; sysPrefix?: boolean; prefix?: string; name: string }) => {
      const dir = install(opts);
      console.log(`installed kernel "${opts.name}" in ${dir}`);
    }));
  kernel
    .command("list")
    .description("list the installed Sluice kernels")
    .action(() => {
      const kernels = list();
      if (kernels.length === 0) console.log("no Sluice kernel installed; run `sluice kernel install --user`");
      for (const k of kernels) console.log(`${k.name}\t${k.dir}`);
    });
  kernel
    .command("uninstall <name>")
    .description("remove an installed Sluice kernel")
    .action(guarded((name: string) => {
      for (const dir of uninstall(name)) console.log(`removed ${dir}`);
    }));
}
