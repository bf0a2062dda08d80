// The registry is every check in src/checks, found rather than listed (src/checks/registry.ts): every blocker id a
// check file declares has exactly one check that emits it, and every check's steps have a place in the planner's
// order (its plan is run on every table case by check-tester.ts).
import { readdirSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { CHECKS, checkEmitting } from '../../../src/checks/registry.js';
import { DELETION_STAGES } from '../../../src/checks/types.js';
import { PHASE_ORDER } from '../../../src/fix/planner.js';

const root = path.resolve(import.meta.dirname, '../../..');
const checksDir = path.join(root, 'src/checks');

/** BlockerId as the compiler sees it: every member the files merge into `interface BlockerIds`, with the file of each. */
function declaredBlockerIds(): Map<string, string[]> {
  const config = ts.getParsedCommandLineOfConfigFile(path.join(root, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  if (!config) throw new Error('tsconfig.json could not be read');
  const program = ts.createProgram({ rootNames: config.fileNames, options: config.options });
  const report = program.getSourceFile(path.join(root, 'src/model/report.ts'));
  const declaration = report?.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === 'BlockerIds');
  if (!declaration) throw new Error('interface BlockerIds not found in src/model/report.ts');
  const checker = program.getTypeChecker();
  const members = checker.getDeclaredTypeOfSymbol(checker.getSymbolAtLocation(declaration.name)!).getProperties();
  return new Map(members.map((m) => [m.name, (m.declarations ?? []).map((d) => path.relative(root, d.getSourceFile().fileName))]));
}

describe('check registry', () => {
  it.each(CHECKS.flatMap((check) => check.emits))('%s is emitted by exactly one check, which checkEmitting finds', (id) => {
    const emitting = CHECKS.filter((check) => check.emits.includes(id));
    expect(emitting.map((c) => c.id)).toHaveLength(1);
    expect(checkEmitting(id)).toBe(emitting[0]);
  });

  it('every check emits its own id, each once, has a deletion stage and a place for its steps in the step order', () => {
    for (const check of CHECKS) {
      expect(check.emits).toContain(check.id);
      expect(new Set(check.emits).size).toBe(check.emits.length);
      expect(DELETION_STAGES).toContain(check.stage);
      expect(PHASE_ORDER).toContain(check.planPhase);
    }
  });

  it('registers every check its folder holds, and none twice: one per file that declares blocker ids', () => {
    const declaring = readdirSync(checksDir).filter((file) => file.endsWith('.ts') && /interface BlockerIds\b/.test(ts.sys.readFile(path.join(checksDir, file)) ?? ''));
    expect(declaring.length).toBeGreaterThan(10);
    expect(new Set(CHECKS).size).toBe(CHECKS.length);
    expect(CHECKS).toHaveLength(declaring.length);
  });

  it('reports blockers earliest stage first, by id within a stage', () => {
    const order = CHECKS.map((check) => [DELETION_STAGES.indexOf(check.stage), check.id] as const);
    expect(order).toEqual([...order].sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0)));
    expect(CHECKS[0]?.id).toBe('NamespaceControllerNotRunning');
  });

  // What the compiler holds (the union a check's `emits` may use) and what runs must be the same set: a check file that
  // declares an id it never emits, or a declaration outside src/checks, fails here.
  it('every id BlockerId holds is declared in src/checks and emitted by a registered check', () => {
    const declared = declaredBlockerIds();
    expect([...declared.keys()].sort()).toEqual(CHECKS.flatMap((check) => check.emits).sort());
    for (const [id, files] of declared) {
      expect(files, id).toHaveLength(1);
      expect(files[0], id).toMatch(/^src\/checks\/[^/]+\.ts$/);
    }
  }, 60_000);
});
