/** Runs Debian's kcat (librdkafka) with `input` on stdin; resolves with its stdout, rejects on a non-zero exit. */
import { spawn } from 'node:child_process';

export function kcat(args: string[], input = '', timeoutMs = 120_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d) => (out += String(d)));
    child.stderr.on('data', (d) => (err += String(d)));
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`kcat ${args.join(' ')} exited ${code}: ${err}`));
    });
    // kcat may exit without reading its input (-L, -C): a closed pipe is not an error here.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}
