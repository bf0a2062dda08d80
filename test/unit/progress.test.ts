import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { progressBar } from '../../src/cli/progress.js';

function terminal(isTTY: boolean) {
  const stream = new PassThrough() as PassThrough & { isTTY: boolean; columns: number; cursorTo: () => boolean; clearLine: () => boolean; moveCursor: () => boolean };
  Object.assign(stream, { isTTY, columns: 100, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
  let written = '';
  stream.on('data', (chunk: Buffer) => (written += chunk.toString()));
  return { stream: stream as unknown as NodeJS.WriteStream, written: () => written };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('progress bar of --all', () => {
  it('draws on a terminal once the run lasts, with the phase and the step count, and clears itself', async () => {
    const tty = terminal(true);
    const bar = await progressBar(tty.stream, true);
    bar.update('listing content', 1, 40);
    expect(tty.written()).toBe(''); // a short run never shows a bar
    await sleep(350);
    bar.update('listing content', 10, 40);
    bar.update('following evidence', 30, 40);
    await sleep(150);
    bar.stop();
    expect(tty.written()).toMatch(/ns-doctor .*\d+\/40 (listing content|following evidence)/);
  });

  it('writes nothing when stderr is not a terminal, or when asked not to (-v)', async () => {
    for (const [isTTY, enabled] of [[false, true], [true, false]]) {
      const out = terminal(isTTY);
      const bar = await progressBar(out.stream, enabled);
      await sleep(320);
      bar.update('listing content', 5, 10);
      bar.stop();
      expect(out.written()).toBe('');
    }
  });
});
