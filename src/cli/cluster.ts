// `sluice cluster start|join|status|stop`: Ray nodes for `sluice pipeline run --executor ray`
// (docs/scaling.md). Only the nodes this tool started are stopped, by their own pids.
import { Command } from "commander";
import { fail } from "./errors.js";
import { nonNegativeInt, positiveInt } from "./options.js";

type StartFlags = { head?: boolean; port?: number; resources?: string; nodeIp?: string; numCpus?: number; objectStoreMemory?: number; stateDir?: string; agent?: boolean };

const stateOption = (c: Command) => c.option("--state-dir <dir>", "where the started nodes' pids and logs are kept (default: $SLUICE_CLUSTER_DIR or ~/.sluice/cluster)");
const nodeOptions = (c: Command) =>
  stateOption(
    c
      .option("--resources <json>", `custom resources of this node, a JSON object such as '{"worker1": 1}' (ops ask for them with resources: {...})`)
      .option("--node-ip <ip>", "the address other nodes reach this one at (default: Ray picks this machine's address)")
      .option("--num-cpus <n>", "CPUs this node offers (default: all); each step takes one unless its op says otherwise", nonNegativeInt)
      .option("--object-store-memory <bytes>", "Ray's object store size on this node (steps pass files, not objects: small is fine)", positiveInt),
  );

export function register(program: Command): void {
  const cmd = program.command("cluster").summary("start, join, inspect and stop Ray nodes that run pipeline steps (--executor ray)");
  nodeOptions(
    cmd
      .command("start")
      .description("Start the head node of a Ray cluster on this machine, in the background (its pid is recorded; `sluice cluster stop` ends it). Prints the address other nodes join.")
      .option("--head", "start the head node (required: workers use `sluice cluster join`)")
      .option("--port <port>", "port of the head's GCS (default 6379)", positiveInt)
      .option("--no-agent", "do not start the agent (a Ray driver that runs on this machine share, keeping warm step processes between runs); each run then starts its own"),
  ).action(async (flags: StartFlags) => {
    try {
      const { startHead } = await import("../cluster/nodes.js");
      if (!flags.head) {
        const { ClusterUsageError } = await import("../cluster/errors.js");
        throw new ClusterUsageError("`sluice cluster start` starts a head node: add --head. To add this machine to a running cluster, use `sluice cluster join HOST:PORT`.");
      }
      const node = await startHead(flags);
      const agent = node.agent
        ? `Sluice agent started (pid ${node.agent.pid}): runs on this machine share its Ray driver and warm step processes; log ${node.agent.log}\n`
        : node.agentError
          ? `warning: the Sluice agent did not start (${node.agentError}); each run starts a Ray driver of its own (about a second more per run)\n`
          : "";
      process.stdout.write(
        `Ray head started (pid ${node.pid}) at ${node.address}; log ${node.log}\n` +
          agent +
          `  join from another machine:  sluice cluster join ${node.address}\n` +
          `  run a pipeline on it:       sluice pipeline run FILE --executor ray --address ${node.address}\n`,
      );
    } catch (error) {
      process.exitCode = fail(error);
    }
  });
  nodeOptions(
    cmd
      .command("join")
      .description("Start a Ray worker node on this machine that joins the cluster whose head is at ADDRESS (HOST:PORT), in the background.")
      .argument("<address>", "the head's HOST:PORT, as `sluice cluster start --head` printed it"),
  ).action(async (address: string, flags: StartFlags) => {
    try {
      const { joinCluster } = await import("../cluster/nodes.js");
      const node = await joinCluster(address, flags);
      process.stdout.write(`Ray worker started (pid ${node.pid}), joined ${node.address}; log ${node.log}\n`);
    } catch (error) {
      process.exitCode = fail(error);
    }
  });
  stateOption(
    cmd
      .command("status")
      .description("List the cluster's nodes (address, alive, resources) and the nodes this tool started here.")
      .option("--address <host:port>", "the head (default: $SLUICE_RAY_ADDRESS, else the head started here)")
      .option("--json", "as JSON"),
  ).action(async (flags: { address?: string; json?: boolean; stateDir?: string }) => {
    try {
      const { clusterStatus } = await import("../cluster/nodes.js");
      const s = await clusterStatus(flags.address, flags.stateDir);
      if (flags.json) return void process.stdout.write(JSON.stringify(s, null, 1) + "\n");
      const lines = [`cluster ${s.address}: ${s.nodes.filter((n) => n.alive).length} node(s) alive`];
      for (const n of s.nodes) {
        const custom = Object.entries(n.resources).filter(([k]) => !/^(CPU|GPU|memory|object_store_memory|node:.*)$/.test(k));
        lines.push(`  ${n.address.padEnd(15)} ${n.alive ? "alive" : "dead "}  CPU ${n.resources.CPU ?? 0}${custom.length ? "  " + custom.map(([k, v]) => `${k}=${v}`).join(" ") : ""}`);
      }
      for (const n of s.started) lines.push(`  started here: ${n.role} pid ${n.pid} ${n.running ? "running" : "not running"} (${n.log})`);
      process.stdout.write(lines.join("\n") + "\n");
    } catch (error) {
      process.exitCode = fail(error);
    }
  });
  stateOption(cmd.command("stop").description("Stop the Ray nodes and the agent this tool started on this machine (SIGTERM to each recorded pid; never `ray stop`)."))
    .action(async (flags: { stateDir?: string }) => {
      try {
        const { stopNodes } = await import("../cluster/nodes.js");
        const stopped = await stopNodes(flags.stateDir);
        if (stopped.length === 0) process.stdout.write("no node started by `sluice cluster` is recorded here\n");
        for (const n of stopped) process.stdout.write(`${n.role} pid ${n.pid}: ${n.was}\n`);
      } catch (error) {
        process.exitCode = fail(error);
      }
    });
}
