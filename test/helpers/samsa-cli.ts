/** Runs the built `samsa` CLI as a child process (killed after 60 s), with `input` on its stdin. */
import { spawn } from 'node:child_process';
import { SAMSA_BIN } from './test-broker.js';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runSamsa(args: readonly string[], input = ''): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SAMSA_BIN(), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}
