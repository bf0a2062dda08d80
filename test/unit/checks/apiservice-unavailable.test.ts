import { describe, expect, it } from 'vitest';
import { apiServiceUnavailable } from '../../../src/checks/apiservice-unavailable.js';
import { contextFor, facts, recorded } from '../helpers.js';

describe('APIServiceUnavailable (recorded: metrics-server OOM-killed on a NotReady node)', () => {
  it('follows APIService → Service → Pod → Node', () => {
    const snapshot = recorded('metrics-server');
    const [blocker, ...rest] = apiServiceUnavailable.run(snapshot, contextFor(snapshot));
    expect(rest).toEqual([]);
    expect(blocker.id).toBe('APIServiceUnavailable');
    expect(blocker.summary).toContain('metrics.k8s.io/v1beta1');
    const chain = facts([blocker]);
    expect(chain[0]).toMatch(/^APIService v1beta1\.metrics\.k8s\.io: Available=False \(MissingEndpoints\)/);
    expect(chain.find((f) => f.startsWith('Service metrics-server'))).toContain('0 ready endpoints');
    expect(chain.find((f) => f.startsWith('Pod '))).toMatch(/CrashLoopBackOff, last exit OOMKilled \(137\), 14 restarts/);
    expect(chain.find((f) => f.startsWith('Node '))).toMatch(/Ready=False for 3d/);
    expect(blocker.evidence.map((e) => e.depth)).toEqual([0, 1, 2, 3]);
    expect(blocker.fixes[0].safety).toBe('safe');
    expect(blocker.fixes.at(-1)).toMatchObject({ safety: 'last-resort', command: 'kubectl delete apiservice v1beta1.metrics.k8s.io' });
    expect(blocker.fixes.at(-1)!.cost).toContain('HorizontalPodAutoscalers');
  });

  it('is not a blocker once the namespace controller has removed its own finalizer', () => {
    const snapshot = recorded('metrics-server');
    snapshot.namespace!.specFinalizers = [];
    expect(apiServiceUnavailable.run(snapshot, contextFor(snapshot))).toEqual([]);
  });

  it('is not a blocker when the APIService is Available and discovery works', () => {
    const snapshot = recorded('metrics-server');
    snapshot.apiServices = snapshot.apiServices!.map((a) => ({ ...a, available: { type: 'Available', status: 'True', reason: 'Passed' } }));
    snapshot.discovery!.groupVersions = snapshot.discovery!.groupVersions.map((gv) => ({ groupVersion: gv.groupVersion, state: 'Current' }));
    snapshot.namespace!.conditions = [];
    expect(apiServiceUnavailable.run(snapshot, contextFor(snapshot))).toEqual([]);
  });

  it('still proves the blocker from discovery when APIServices cannot be read', () => {
    const snapshot = recorded('metrics-server');
    delete snapshot.apiServices;
    const [blocker] = apiServiceUnavailable.run(snapshot, contextFor(snapshot));
    expect(blocker.id).toBe('APIServiceUnavailable');
    expect(facts([blocker]).join('\n')).toContain('APIService v1beta1.metrics.k8s.io: could not be read');
  });

  it('calls it APIServiceBackendInNamespace when the backend lives in the namespace being deleted', () => {
    const snapshot = recorded('metrics-server');
    const metrics = snapshot.apiServices!.find((a) => a.name === 'v1beta1.metrics.k8s.io')!;
    metrics.service = { ...metrics.service!, namespace: snapshot.namespaceName };
    const [blocker] = apiServiceUnavailable.run(snapshot, contextFor(snapshot));
    expect(blocker.id).toBe('APIServiceBackendInNamespace');
    expect(blocker.fixes[0]).toMatchObject({ safety: 'safe', command: 'kubectl delete apiservice v1beta1.metrics.k8s.io' });
  });
});

describe('APIServiceOrphaned (recorded: prometheus-adapter uninstalled, APIService left behind)', () => {
  it('tells an orphaned APIService from a broken backend', () => {
    const snapshot = recorded('apiservice-orphaned');
    const [blocker] = apiServiceUnavailable.run(snapshot, contextFor(snapshot));
    expect(blocker.id).toBe('APIServiceOrphaned');
    expect(facts([blocker])).toContain('Service prometheus-adapter: does not exist');
    expect(facts([blocker])[0]).toContain('ServiceNotFound');
    expect(blocker.fixes.map((f) => f.safety)).toEqual(['safe', 'caution']);
    expect(blocker.fixes[1].command).toBe('kubectl delete apiservice v1beta1.custom.metrics.k8s.io');
  });
});

describe('stale conditions', () => {
  it('trusts live discovery over a discovery-failure condition left from an earlier pass', () => {
    const snapshot = recorded('metrics-server');
    snapshot.apiServices = snapshot.apiServices!.map((a) => ({ ...a, available: { type: 'Available', status: 'True', reason: 'Passed' } }));
    snapshot.discovery!.groupVersions = snapshot.discovery!.groupVersions.map((gv) => ({ groupVersion: gv.groupVersion, state: 'Current' }));
    expect(contextFor(snapshot).conditions.discoveryFailures).toHaveLength(1); // the condition still names it
    expect(apiServiceUnavailable.run(snapshot, contextFor(snapshot))).toEqual([]);
  });
});

describe('backend pod states on the chain', () => {
  it('names an unschedulable backend pod with the scheduler message', () => {
    const snapshot = recorded('metrics-server');
    const pod = Object.values(snapshot.pods)[0];
    delete pod.nodeName;
    pod.containers = [];
    pod.phase = 'Pending';
    pod.conditions = [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient memory.' }];
    const [blocker] = apiServiceUnavailable.run(snapshot, contextFor(snapshot));
    expect(blocker.summary).toContain('Unschedulable');
    expect(facts([blocker]).find((f) => f.startsWith('Pod '))).toContain('Pending, unschedulable: 0/3 nodes are available: 3 Insufficient memory.');
  });

  it('names an image pull failure', () => {
    const snapshot = recorded('metrics-server');
    const pod = Object.values(snapshot.pods)[0];
    pod.containers = [{ name: 'metrics-server', ready: false, restartCount: 0, waitingReason: 'ImagePullBackOff' }];
    const [blocker] = apiServiceUnavailable.run(snapshot, contextFor(snapshot));
    expect(blocker.summary).toContain('ImagePullBackOff');
  });
});
