import { expect } from 'chai';
import { FailureDetector } from '@isx/router';

function manualClock() {
  let t = 1_000;
  return { clock: { now: () => t, monotonic: () => t }, advance: (ms: number) => (t += ms) };
}

describe('the failure detector (injected clock, no sleeping)', function () {
  it('keeps a node alive while heartbeats arrive within suspectAfterMs', function () {
    const { clock, advance } = manualClock();
    const detector = new FailureDetector({ suspectAfterMs: 600, deadAfterMs: 1000, clock });
    detector.heartbeat('n1');
    for (let i = 0; i < 20; i += 1) {
      advance(500);
      detector.heartbeat('n1');
      expect(detector.sweep()).to.deep.equal([]);
    }
    expect(detector.status('n1')).to.equal('alive');
  });

  it('marks a silent node suspect after suspectAfterMs and dead after deadAfterMs, once each', function () {
    const { clock, advance } = manualClock();
    const detector = new FailureDetector({ suspectAfterMs: 600, deadAfterMs: 1000, clock });
    detector.heartbeat('n1');
    advance(599);
    expect(detector.sweep()).to.deep.equal([]);
    advance(1);
    expect(detector.sweep()).to.deep.equal([{ nodeId: 'n1', from: 'alive', to: 'suspect' }]);
    expect(detector.sweep()).to.deep.equal([]);
    advance(400);
    expect(detector.sweep()).to.deep.equal([{ nodeId: 'n1', from: 'suspect', to: 'dead' }]);
    expect(detector.status('n1')).to.equal('dead');
    expect(detector.ageMs('n1')).to.equal(1000);
  });

  it('brings a dead node back to alive on its next heartbeat and reports the change', function () {
    const { clock, advance } = manualClock();
    const detector = new FailureDetector({ suspectAfterMs: 600, deadAfterMs: 1000, clock });
    detector.heartbeat('n1');
    advance(5_000);
    detector.sweep();
    expect(detector.heartbeat('n1')).to.deep.equal({ nodeId: 'n1', from: 'dead', to: 'alive' });
    expect(detector.status('n1')).to.equal('alive');
  });

  it('judges each node on its own heartbeats', function () {
    const { clock, advance } = manualClock();
    const detector = new FailureDetector({ suspectAfterMs: 600, deadAfterMs: 1000, clock });
    detector.heartbeat('n1');
    detector.heartbeat('n2');
    advance(700);
    detector.heartbeat('n2');
    expect(detector.sweep()).to.deep.equal([{ nodeId: 'n1', from: 'alive', to: 'suspect' }]);
    expect(detector.status('n2')).to.equal('alive');
  });

  it('refuses a configuration where dead comes no later than suspect', function () {
    const { clock } = manualClock();
    expect(() => new FailureDetector({ suspectAfterMs: 600, deadAfterMs: 600, clock })).to.throw(RangeError);
  });
});
