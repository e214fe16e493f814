import { createInterface } from 'node:readline';

/**
 * Asks for a password twice on a terminal, echoing nothing. Without a
 * terminal it reads one line from standard input (`echo … | parley createuser`);
 * an empty answer means no password.
 */
export async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) return readLine();
  const first = await askHidden('Password: ');
  if (first === '') return '';
  const second = await askHidden('Password (again): ');
  if (first !== second) {
    process.stderr.write('Error: the passwords do not match.\n');
    process.exit(2);
  }
  return first;
}

function readLine(): Promise<string> {
  return new Promise((resolve) => {
    const lines = createInterface({ input: process.stdin });
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

function askHidden(question: string): Promise<string> {
  return new Promise((resolve) => {
    const lines = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    const output = lines as unknown as { _writeToOutput: (text: string) => void };
    process.stderr.write(question);
    // Swallow the echo of typed characters; the prompt itself is already written.
    output._writeToOutput = () => {};
    lines.question('', (answer) => {
      lines.close();
      process.stderr.write('\n');
      resolve(answer);
    });
  });
}
