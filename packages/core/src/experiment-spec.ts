/**
 * The experiment spec that `isx experiment FILE` runs: the cluster to start, the workload
 * to drive through it, the faults to inject and the checkers that judge the history.
 *
 * The file may be JSON or YAML; either way it lands here as plain data and is checked
 * before any process starts, so a typo costs a clear message, not a half-run cluster. All
 * durations are milliseconds from the start of the workload. Randomness (operation mix,
 * periodic faults, random targets) comes from `seed` alone, so the same spec gives the
 * same schedule.
 */
import { z } from 'zod';
import { shardIdSchema } from './cluster-config.js';
import { isValidTypeName } from './key.js';

const ms = z.number().int().nonnegative();
const positiveMs = z.number().int().positive();

/** Nodes are named `n1`, `n2`, … in the order the lab starts them; spare nodes come last. */
export const labNodeNameSchema = z.string().regex(/^n[1-9][0-9]?$/, 'a node is named n1, n2, …');

/** A service a cluster runs (`campaign`, `profile`): a link end naming it stands for each of its nodes. */
export const labServiceNameSchema = z.string().refine(isValidTypeName, 'not a valid service name');

/**
 * An end of a link: the router, a node, or every node of a service (`campaign` → `profile`
 * shapes each link from a campaign node to a profile node). `random` is resolved from the seed.
 */
export const linkEndSchema = z.union([
  z.literal('router'),
  z.literal('random'),
  labNodeNameSchema,
  labServiceNameSchema,
]);

/** Whether a link end names a service's nodes rather than the router or one node. */
export function isServiceEnd(end: string): boolean {
  return end !== 'router' && end !== 'random' && !labNodeNameSchema.safeParse(end).success;
}

/** A link between two processes; the proxy sits on the connections `from` opens to `to`. */
export const linkSchema = z
  .strictObject({ from: linkEndSchema, to: linkEndSchema })
  .refine((link) => link.from !== link.to || link.from === 'random' || isServiceEnd(link.from), {
    message: 'a link joins two different processes',
  })
  .refine((link) => link.from !== 'router' || link.to !== 'router', {
    message: 'a link needs at least one node',
  });
export type LinkSpec = z.infer<typeof linkSchema>;

/**
 * A node to hit: by name, at random (among the nodes started at the beginning), whichever
 * node holds the primary copy of a key (of the workload's type, or of `type`), or a node
 * taking part in a rebalancing step under way: the one that gives a copy or a primary
 * (`moving: from`) or the one that receives it (`moving: to`). `primaryOf` and `moving` are
 * resolved when the fault starts.
 */
export const nodeTargetSchema = z.union([
  labNodeNameSchema,
  z.literal('random'),
  z.strictObject({
    primaryOf: z.string().min(1),
    type: z.string().refine(isValidTypeName, 'not a valid entity type name').optional(),
  }),
  z.strictObject({ moving: z.enum(['from', 'to']) }),
]);
export type NodeTarget = z.infer<typeof nodeTargetSchema>;

/** What `kill` and `restart` may hit: a node, or the router (which restarts on its own data directory). */
export const processTargetSchema = z.union([z.literal('router'), nodeTargetSchema]);
export type ProcessTarget = z.infer<typeof processTargetSchema>;

/** A shard to split: by id (`campaign-3`), or the one that holds a key of the workload's type. */
export const shardTargetSchema = z.union([shardIdSchema, z.strictObject({ shardOf: z.string().min(1) })]);
export type ShardTarget = z.infer<typeof shardTargetSchema>;

const probability = z.number().min(0).max(1);

/**
 * The faults the lab can inject. `durationMs`, where allowed, undoes the fault after that long.
 * `join`, `drain`, `terminate` and `split` are the operator's steps of a replicated cluster
 * (rebalancing); their windows last until the step is over, not a fixed time.
 */
export const faultSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('kill'),
    /** A node, or `router`: its callers' links refuse while it is down. */
    target: processTargetSchema,
    durationMs: positiveMs.optional(),
    /** Delete the node's data directory before it restarts: the node comes back empty, under a new id. */
    wipe: z.boolean().default(false),
  }),
  z.strictObject({ kind: z.literal('restart'), target: processTargetSchema.optional() }),
  z.strictObject({ kind: z.literal('pause'), target: nodeTargetSchema, durationMs: positiveMs }),
  z.strictObject({
    kind: z.literal('partition'),
    link: linkSchema,
    /** `both` cuts the link; `forward` drops only bytes from `from` to `to`, `backward` only the replies. */
    direction: z.enum(['both', 'forward', 'backward']).default('both'),
    durationMs: positiveMs.optional(),
  }),
  z.strictObject({
    kind: z.literal('delay'),
    link: linkSchema,
    delayMs: z.number().int().min(0).max(60_000),
    jitterMs: z.number().int().min(0).max(60_000).default(0),
    durationMs: positiveMs.optional(),
  }),
  z.strictObject({
    kind: z.literal('drop'),
    link: linkSchema,
    probability,
    durationMs: positiveMs.optional(),
  }),
  z.strictObject({
    kind: z.literal('reset'),
    link: linkSchema,
    probability,
    durationMs: positiveMs.optional(),
  }),
  z.strictObject({ kind: z.literal('heal') }),
  /**
   * Starts the next `count` spare nodes (`cluster.spareNodes`), in order; they register and
   * the router gives them replicas and primaries. The window lasts until the cluster is
   * balanced again.
   */
  z.strictObject({ kind: z.literal('join'), count: z.number().int().min(1).max(8).default(1) }),
  /**
   * `POST /cluster/nodes/:id/drain`: the router hands the node's primaries over and moves its
   * copies away. With `leave` (the default), once it holds no copy the node is stopped with
   * SIGINT and is gone for good; without, it stays up, empty and draining.
   */
  z.strictObject({ kind: z.literal('drain'), target: nodeTargetSchema, leave: z.boolean().default(true) }),
  /**
   * SIGTERM: the node drains itself through the router and exits once it holds no copy. With
   * `durationMs` it is restarted on its data directory that long after the signal, or when it
   * exits if that is later (a rolling restart's step); without, it is gone for good.
   */
  z.strictObject({
    kind: z.literal('terminate'),
    target: nodeTargetSchema,
    durationMs: positiveMs.optional(),
  }),
  /** `POST /cluster/shards/:id/split`, at `at` or in the middle of its range; both halves keep the replicas. */
  z.strictObject({
    kind: z.literal('split'),
    shard: shardTargetSchema,
    /** A partition key strictly inside the shard's range. */
    at: z.string().min(1).max(256).optional(),
  }),
]);
export type FaultSpec = z.infer<typeof faultSchema>;
export type FaultKind = FaultSpec['kind'];

/** A fault at a fixed time. */
export const timedFaultSchema = z.strictObject({ at: ms, fault: faultSchema });

/** Every `every` ms from `start`, one of `choose` picked from the seed, undone after `duration`. */
export const periodicFaultSchema = z.strictObject({
  every: positiveMs,
  start: ms.default(0),
  duration: positiveMs,
  choose: z.array(faultSchema).min(1),
});

/**
 * One entry of `faults`: timed (`at` + `fault`) or periodic (`every` + `duration` + `choose`).
 * Parsed as one object and then split, so a mistake is reported at its own path rather
 * than as "matches neither form".
 */
export const faultEntrySchema = z
  .strictObject({
    at: ms.optional(),
    fault: faultSchema.optional(),
    every: positiveMs.optional(),
    start: ms.optional(),
    duration: positiveMs.optional(),
    choose: z.array(faultSchema).min(1).optional(),
  })
  .superRefine((entry, ctx) => {
    const timed = entry.at !== undefined || entry.fault !== undefined;
    const periodic = [entry.every, entry.start, entry.duration, entry.choose].some((v) => v !== undefined);
    const need = (field: string, present: boolean): void => {
      if (!present) ctx.addIssue({ code: 'custom', path: [field], message: `${field} is required` });
    };
    if (timed && periodic) {
      ctx.addIssue({
        code: 'custom',
        message: 'give either at + fault, or every + duration + choose, not both',
      });
    } else if (periodic) {
      need('every', entry.every !== undefined);
      need('duration', entry.duration !== undefined);
      need('choose', entry.choose !== undefined);
    } else {
      need('at', entry.at !== undefined);
      need('fault', entry.fault !== undefined);
    }
  })
  .transform((entry): TimedFault | PeriodicFault =>
    entry.every === undefined
      ? { at: entry.at!, fault: entry.fault! }
      : { every: entry.every, start: entry.start ?? 0, duration: entry.duration!, choose: entry.choose! },
  );

export const workloadSpecSchema = z
  .strictObject({
    /** The entity type the clients use; its service must run on the nodes. */
    type: z.string().refine(isValidTypeName, 'not a valid entity type name').default('campaign'),
    clients: z.number().int().min(1).max(64).default(4),
    keys: z.number().int().min(1).max(10_000).default(8),
    /** Relative weights of each operation. */
    mix: z
      .strictObject({
        read: z.number().min(0).default(40),
        write: z.number().min(0).default(25),
        cas: z.number().min(0).default(20),
        create: z.number().min(0).default(5),
        delete: z.number().min(0).default(10),
      })
      .prefault({})
      .refine((mix) => Object.values(mix).some((weight) => weight > 0), 'the mix needs one weight above 0'),
    /** `closed`: each client waits for its answer; `open`: operations start at a fixed rate. */
    rate: z
      .discriminatedUnion('mode', [
        z.strictObject({ mode: z.literal('closed') }),
        z.strictObject({
          mode: z.literal('open'),
          perSecond: z.number().positive().max(10_000),
        }),
      ])
      .default({ mode: 'closed' }),
    durationMs: positiveMs.max(3_600_000),
    /** How long a client waits for an answer before it records `info`. */
    timeoutMs: positiveMs.default(2_000),
    /**
     * Every campaign write also carries a `profile` part, which the campaign sends to its
     * profile entity as a message (activities, phase 4): the cluster must run the profile service.
     */
    withProfile: z.boolean().default(false),
  })
  .strict();
export type WorkloadSpec = z.infer<typeof workloadSpecSchema>;

export const clusterSpecSchema = z.strictObject({
  nodes: z.number().int().min(1).max(9).default(3),
  /**
   * Nodes wired up from the start (ports, proxies, peer routes) but not started: a `join`
   * starts them. They are named after the started ones: `n5`, `n6` for 4 nodes and 2 spares.
   */
  spareNodes: z.number().int().min(0).max(8).default(0),
  replicationFactor: z.number().int().min(1).max(3).default(1),
  /**
   * The services the nodes run. Nodes take them in turn, spares included: with
   * `[campaign, profile]`, n1 runs campaign, n2 profile, n3 campaign, and so on.
   */
  services: z.array(labServiceNameSchema).min(1).default(['campaign']),
  shardsPerType: z.number().int().min(1).max(1024).default(8),
  /** How long the router waits for a node before it answers 504. */
  nodeTimeoutMs: positiveMs.default(1_000),
  /**
   * The router's automatic splits (DESIGN §6). Off unless given, so that the map of a seeded
   * run changes only by its faults and by rebalancing; a knob left out stays off.
   */
  autoSplit: z
    .strictObject({
      maxShardEntities: z.number().int().min(0).default(0),
      loadShare: probability.default(0),
      minOpsPerSec: z.number().min(0).default(50),
    })
    .optional(),
});
export type ClusterSpec = z.infer<typeof clusterSpecSchema>;

export const checkerNameSchema = z.enum([
  'durability',
  'linearizability',
  'availability',
  'copies',
  'activities',
]);
export type CheckerName = z.infer<typeof checkerNameSchema>;

const experimentSpecBase = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'a name is lowercase letters, digits and dashes'),
  /** One sentence on what the experiment shows. */
  description: z.string().min(1),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1),
  cluster: clusterSpecSchema.prefault({}),
  workload: workloadSpecSchema,
  faults: z.array(faultEntrySchema).default([]),
  checkers: z
    .array(checkerNameSchema)
    .min(1)
    .default(['durability', 'linearizability', 'availability', 'copies']),
  /**
   * After the workload: how long to wait for quiet once every fault is healed, how long final
   * reads may take, and how long every queue of messages may take to drain (activities).
   */
  settle: z
    .strictObject({
      quietMs: ms.default(1_500),
      finalReadsMs: positiveMs.default(15_000),
      drainMs: positiveMs.default(60_000),
    })
    .prefault({}),
  linearizability: z
    .strictObject({ maxStatesPerKey: z.number().int().positive().default(2_000_000) })
    .prefault({}),
  availability: z
    .strictObject({
      bucketMs: positiveMs.default(500),
      /** The least share of operations that must succeed overall; absent means availability is reported, not judged. */
      minAnsweredShare: probability.optional(),
    })
    .prefault({}),
});

export const experimentSpecSchema = experimentSpecBase.superRefine((spec, ctx) => {
  checkServices(spec, ctx);
  const { nodes, spareNodes } = spec.cluster;
  if (nodes + spareNodes > 9) {
    ctx.addIssue({
      code: 'custom',
      path: ['cluster', 'spareNodes'],
      message: `${nodes} node(s) and ${spareNodes} spare(s) make more than 9`,
    });
  }
  const joinsAt = spareJoinTimes(spec.faults, nodes);
  let joined = 0;
  spec.faults.forEach((entry, index) => {
    const path = ['faults', index];
    const start = 'at' in entry ? entry.at : entry.start;
    if (start >= spec.workload.durationMs) {
      ctx.addIssue({
        code: 'custom',
        path,
        message: `starts at ${start} ms, after the workload ends (${spec.workload.durationMs} ms)`,
      });
    }
    const faults = 'at' in entry ? [entry.fault] : entry.choose;
    for (const fault of faults) {
      checkNodeNames(fault, nodes + spareNodes, ctx, path);
      checkJoined(fault, start, nodes, joinsAt, ctx, path);
      if (fault.kind === 'kill' && fault.target === 'router' && fault.wipe) {
        ctx.addIssue({ code: 'custom', path, message: "the router's data directory cannot be wiped" });
      }
      if (!('at' in entry) && ONE_OFF.has(fault.kind)) {
        ctx.addIssue({
          code: 'custom',
          path,
          message: `${fault.kind} changes the cluster for good; give it at a fixed time (at + fault)`,
        });
      }
      if (fault.kind === 'join') joined += fault.count;
    }
  });
  if (joined > spareNodes) {
    ctx.addIssue({
      code: 'custom',
      path: ['faults'],
      message: `the faults join ${joined} node(s) but cluster.spareNodes is ${spareNodes}`,
    });
  }
});
export type ExperimentSpec = z.infer<typeof experimentSpecSchema>;
export type ExperimentSpecInput = z.input<typeof experimentSpecSchema>;
export type TimedFault = z.infer<typeof timedFaultSchema>;
export type PeriodicFault = z.infer<typeof periodicFaultSchema>;

/**
 * The services: each runs on enough of the nodes started for its copies, every link end that
 * names a service is one of them, and messages between campaigns and profiles need both.
 */
function checkServices(spec: z.infer<typeof experimentSpecBase>, ctx: z.RefinementCtx): void {
  const { services, nodes, replicationFactor } = spec.cluster;
  services.forEach((service, index) => {
    const started = Math.ceil((nodes - index) / services.length);
    if (started < replicationFactor) {
      ctx.addIssue({
        code: 'custom',
        path: ['cluster', 'nodes'],
        message: `${service} runs on ${Math.max(0, started)} of the ${nodes} node(s) (nodes take the services in turn), fewer than ${replicationFactor} copies need`,
      });
    }
  });
  spec.faults.forEach((entry, index) => {
    for (const fault of 'at' in entry ? [entry.fault] : entry.choose) {
      if (!('link' in fault)) continue;
      for (const end of [fault.link.from, fault.link.to]) {
        if (isServiceEnd(end) && !services.includes(end)) {
          ctx.addIssue({
            code: 'custom',
            path: ['faults', index],
            message: `the link end ${end} is neither router, random, a node (n1, …) nor a service of cluster.services (${services.join(', ')})`,
          });
        }
      }
    }
  });
  const { workload } = spec;
  if (spec.checkers.includes('activities') && !workload.withProfile) {
    ctx.addIssue({
      code: 'custom',
      path: ['workload', 'withProfile'],
      message: 'the activities checker needs messages: set workload.withProfile to true',
    });
  }
  if (!workload.withProfile) return;
  if (workload.type !== 'campaign' || !services.includes('campaign') || !services.includes('profile')) {
    ctx.addIssue({
      code: 'custom',
      path: ['workload', 'withProfile'],
      message: 'profile parts are sent by campaigns to profiles: use type campaign and run both services',
    });
  }
  if (workload.mix.delete > 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['workload', 'mix', 'delete'],
      message:
        'with profile parts the mix may not delete: a campaign created again numbers its profile revisions from 1, so the targeting its profile ends with could not be checked',
    });
  }
}

/** Steps with no undo: they may not be drawn by a periodic entry, whose faults are undone. */
const ONE_OFF: ReadonlySet<FaultKind> = new Set(['join', 'drain', 'split']);

function checkNodeNames(
  fault: FaultSpec,
  nodes: number,
  ctx: z.RefinementCtx,
  path: (string | number)[],
): void {
  for (const name of namesIn(fault)) {
    if (Number(name.slice(1)) > nodes) {
      ctx.addIssue({ code: 'custom', path, message: `names ${name} but the cluster has ${nodes} node(s)` });
    }
  }
}

/** A spare node may be named only from the time a `join` starts it. */
function checkJoined(
  fault: FaultSpec,
  start: number,
  nodes: number,
  joinsAt: ReadonlyMap<string, number>,
  ctx: z.RefinementCtx,
  path: (string | number)[],
): void {
  for (const name of namesIn(fault)) {
    if (Number(name.slice(1)) <= nodes) continue;
    const joins = joinsAt.get(name);
    if (joins !== undefined && start >= joins) continue;
    ctx.addIssue({
      code: 'custom',
      path,
      message:
        joins === undefined
          ? `names ${name}, a spare node that no join starts`
          : `names ${name} at ${start} ms, before the join at ${joins} ms starts it`,
    });
  }
}

/** When each spare node is started: the joins, in time order, take the spares in order. */
function spareJoinTimes(
  entries: readonly (TimedFault | PeriodicFault)[],
  nodes: number,
): Map<string, number> {
  const joins = entries
    .flatMap((entry) =>
      'at' in entry && entry.fault.kind === 'join' ? [{ at: entry.at, count: entry.fault.count }] : [],
    )
    .sort((a, b) => a.at - b.at);
  const times = new Map<string, number>();
  let next = nodes + 1;
  for (const join of joins) {
    for (let i = 0; i < join.count; i += 1) times.set(`n${next++}`, join.at);
  }
  return times;
}

/** The node names a fault mentions. */
function namesIn(fault: FaultSpec): string[] {
  const names: string[] = [];
  if ('target' in fault && typeof fault.target === 'string') names.push(fault.target);
  if ('link' in fault) names.push(fault.link.from, fault.link.to);
  return names.filter((name) => /^n\d+$/.test(name));
}

/** Parses an experiment spec (already read from JSON or YAML), throwing a `ZodError` that names each problem. */
export function parseExperimentSpec(input: unknown): ExperimentSpec {
  return experimentSpecSchema.parse(input);
}
