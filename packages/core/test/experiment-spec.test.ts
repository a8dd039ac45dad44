import { expect } from 'chai';
import { experimentSpecSchema, parseExperimentSpec } from '@isx/core';

const minimal = { name: 'demo', description: 'A demo.', seed: 7, workload: { durationMs: 5000 } };

function problems(input: unknown): string[] {
  const result = experimentSpecSchema.safeParse(input);
  if (result.success) return [];
  return result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('the experiment spec', function () {
  it('fills in a three-node cluster, a closed-loop workload and every checker by default', function () {
    const spec = parseExperimentSpec(minimal);
    expect(spec.cluster).to.include({ nodes: 3, replicationFactor: 1, shardsPerType: 8 });
    expect(spec.workload).to.include({ type: 'campaign', clients: 4, keys: 8, timeoutMs: 2000 });
    expect(spec.workload.rate).to.deep.equal({ mode: 'closed' });
    expect(spec.workload.mix).to.deep.equal({ read: 40, write: 25, cas: 20, create: 5, delete: 10 });
    expect(spec.checkers).to.deep.equal(['durability', 'linearizability', 'availability', 'copies']);
    expect(spec.faults).to.deep.equal([]);
  });

  it('accepts every kind of fault, at a time or periodic', function () {
    const spec = parseExperimentSpec({
      ...minimal,
      faults: [
        { at: 100, fault: { kind: 'kill', target: { primaryOf: 'k0' }, durationMs: 500 } },
        { at: 200, fault: { kind: 'pause', target: 'n2', durationMs: 300 } },
        { at: 300, fault: { kind: 'partition', link: { from: 'router', to: 'n1' }, direction: 'forward' } },
        { at: 400, fault: { kind: 'delay', link: { from: 'n1', to: 'n2' }, delayMs: 50 } },
        { at: 500, fault: { kind: 'drop', link: { from: 'router', to: 'random' }, probability: 0.5 } },
        { at: 600, fault: { kind: 'reset', link: { from: 'n3', to: 'router' }, probability: 1 } },
        { at: 700, fault: { kind: 'heal' } },
        { at: 800, fault: { kind: 'restart' } },
        { every: 1000, duration: 400, choose: [{ kind: 'kill', target: 'random' }] },
      ],
    });
    expect(spec.faults).to.have.length(9);
  });

  it('names the path of each problem in a bad spec', function () {
    const found = problems({
      ...minimal,
      workload: { durationMs: 5000, clients: 0, mix: { read: 'lots' } },
      faults: [{ at: 100, fault: { kind: 'explode' } }],
    });
    expect(found.some((p) => p.startsWith('workload.clients'))).to.equal(true);
    expect(found.some((p) => p.startsWith('workload.mix.read'))).to.equal(true);
    expect(found.some((p) => p.startsWith('faults.0.fault.kind'))).to.equal(true);
  });

  it('refuses unknown fields, so a typo is not silently ignored', function () {
    expect(problems({ ...minimal, workload: { durationMs: 5000, client: 3 } }).join()).to.match(/client/);
  });

  it('refuses a fault that starts after the workload ends', function () {
    const found = problems({ ...minimal, faults: [{ at: 5000, fault: { kind: 'heal' } }] });
    expect(found.join()).to.match(/after the workload ends/);
  });

  it('refuses a node the cluster does not have', function () {
    const found = problems({ ...minimal, faults: [{ at: 10, fault: { kind: 'kill', target: 'n4' } }] });
    expect(found.join()).to.match(/n4 but the cluster has 3/);
  });

  it('refuses a link from a process to itself and one between the router and itself', function () {
    expect(
      problems({
        ...minimal,
        faults: [{ at: 10, fault: { kind: 'partition', link: { from: 'n1', to: 'n1' } } }],
      }),
    ).to.not.be.empty;
    expect(
      problems({
        ...minimal,
        faults: [{ at: 10, fault: { kind: 'partition', link: { from: 'router', to: 'router' } } }],
      }),
    ).to.not.be.empty;
  });

  it('refuses a mix whose weights are all zero', function () {
    const mix = { read: 0, write: 0, cas: 0, create: 0, delete: 0 };
    expect(problems({ ...minimal, workload: { durationMs: 5000, mix } }).join()).to.match(
      /one weight above 0/,
    );
  });
});

describe('the experiment spec of activities (several services)', function () {
  const activities = {
    ...minimal,
    cluster: { nodes: 6, services: ['campaign', 'profile'], replicationFactor: 3 },
    workload: { durationMs: 5000, withProfile: true, mix: { delete: 0 } },
    checkers: ['durability', 'activities'],
  };

  it('accepts links between services and a primary of another type', function () {
    const spec = parseExperimentSpec({
      ...activities,
      faults: [
        { at: 100, fault: { kind: 'reset', link: { from: 'campaign', to: 'profile' }, probability: 0.2 } },
        { at: 200, fault: { kind: 'kill', target: { primaryOf: 'k1', type: 'profile' } } },
      ],
    });
    expect(spec.workload.withProfile).to.equal(true);
    expect(spec.settle.drainMs).to.equal(60_000);
  });

  it('refuses a service with fewer nodes than copies, since nodes take the services in turn', function () {
    expect(problems({ ...activities, cluster: { ...activities.cluster, nodes: 5 } })).to.deep.equal([
      'cluster.nodes: profile runs on 2 of the 5 node(s) (nodes take the services in turn), fewer than 3 copies need',
    ]);
  });

  it('refuses a link end that is not a service of the cluster', function () {
    const bad = {
      ...activities,
      faults: [
        { at: 100, fault: { kind: 'drop', link: { from: 'campaign', to: 'billing' }, probability: 1 } },
      ],
    };
    expect(problems(bad)[0]).to.match(/^faults\.0: the link end billing is neither/);
  });

  it('refuses the activities checker without profile parts, and profile parts without both services or with deletes', function () {
    expect(problems({ ...activities, workload: { durationMs: 5000 } })).to.include(
      'workload.withProfile: the activities checker needs messages: set workload.withProfile to true',
    );
    expect(
      problems({ ...activities, cluster: { nodes: 3, services: ['campaign'], replicationFactor: 3 } }),
    ).to.have.length(1);
    expect(problems({ ...activities, workload: { durationMs: 5000, withProfile: true } })[0]).to.match(
      /^workload\.mix\.delete: with profile parts the mix may not delete/,
    );
  });
});
