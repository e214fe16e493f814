import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { PromptCancelled, readPassword } from './prompt.js';

/** A stand-in terminal: what is typed goes in, and it records each switch of raw mode (no echo). */
function fakeTerminal() {
  const input = Object.assign(new PassThrough(), {
    isTTY: true,
    rawModes: [] as boolean[],
    setRawMode(mode: boolean) {
      input.rawModes.push(mode);
      return input;
    },
  });
  const output = new PassThrough();
  let shown = '';
  output.on('data', (chunk: Buffer) => (shown += chunk.toString()));
  return { input, output, shown: () => shown };
}

describe('the password prompt', () => {
  it('reads a password typed twice without echoing it, and gives the terminal its echo back', async () => {
    const terminal = fakeTerminal();
    const answer = readPassword(terminal);
    terminal.input.write('secret words\r');
    await new Promise((resolve) => setImmediate(resolve));
    terminal.input.write('secret words\r');
    expect(await answer).toBe('secret words');
    expect(terminal.shown()).toContain('Password (again): ');
    expect(terminal.shown()).not.toContain('secret');
    expect(terminal.input.rawModes.at(-1)).toBe(false);
  });

  it('is cancelled by Ctrl-C, leaving raw mode so the terminal echoes again', async () => {
    const terminal = fakeTerminal();
    const answer = readPassword(terminal);
    terminal.input.write('half a pass');
    terminal.input.write('\x03');
    await expect(answer).rejects.toBeInstanceOf(PromptCancelled);
    expect(terminal.input.rawModes).toEqual([true, false]);
    expect(terminal.shown()).not.toContain('half');
  });

  it('is cancelled by Ctrl-D on an empty line too', async () => {
    const terminal = fakeTerminal();
    const answer = readPassword(terminal);
    terminal.input.write('\x04');
    await expect(answer).rejects.toBeInstanceOf(PromptCancelled);
    expect(terminal.input.rawModes.at(-1)).toBe(false);
  });

  it('reads one line from a pipe, where nothing is echoed anyway', async () => {
    const input = new PassThrough();
    const answer = readPassword({ input, output: new PassThrough() });
    input.end('piped password\nsecond line\n');
    expect(await answer).toBe('piped password');
  });
});
