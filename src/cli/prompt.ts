import { createInterface } from 'node:readline';

/** Ctrl-C (or Ctrl-D) at a prompt: the person changed their mind, which is not an error. */
export class PromptCancelled extends Error {
  constructor() {
    super('Cancelled.');
    this.name = 'PromptCancelled';
  }
}

/** Exit code of a command stopped by Ctrl-C, as shells report it (128 + SIGINT). */
export const EXIT_CANCELLED = 130;

export interface PromptStreams {
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream;
}

const terminal: PromptStreams = { input: process.stdin, output: process.stderr };

/**
 * Asks for a password twice on a terminal, echoing nothing. Without a
 * terminal it reads one line from standard input (`echo … | parley createuser`);
 * an empty answer means no password. Rejects with PromptCancelled on Ctrl-C.
 */
export async function readPassword(streams: PromptStreams = terminal): Promise<string> {
  if (!streams.input.isTTY) return readLine(streams.input);
  const first = await askHidden('Password: ', streams);
  if (first === '') return '';
  const second = await askHidden('Password (again): ', streams);
  if (first !== second) {
    streams.output.write('Error: the passwords do not match.\n');
    process.exit(2);
  }
  return first;
}

function readLine(input: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve) => {
    const lines = createInterface({ input });
    let answered = false;
    lines.once('line', (line) => {
      answered = true;
      lines.close();
      resolve(line);
    });
    lines.once('close', () => {
      if (!answered) resolve('');
    });
  });
}

function askHidden(question: string, { input, output }: PromptStreams): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input, output, terminal: true });
    const writer = lines as unknown as { _writeToOutput: (text: string) => void };
    output.write(question);
    // Swallow the echo of typed characters; the prompt itself is already written.
    writer._writeToOutput = () => {};
    let answered = false;
    // In raw mode Ctrl-C reaches readline, not the process; closing also leaves raw mode, so the
    // terminal echoes again.
    lines.on('SIGINT', () => lines.close());
    lines.once('close', () => {
      if (!answered) reject(new PromptCancelled());
    });
    lines.question('', (answer) => {
      answered = true;
      lines.close();
      output.write('\n');
      resolve(answer);
    });
  });
}
