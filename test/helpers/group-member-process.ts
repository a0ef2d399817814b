/** Group consumers in child processes (kcat, kafka-python), each printing `partition:offset:value` per record. */
import { type ChildProcess, spawn } from 'node:child_process';

/** A group consumer in a child process, printing `partition:offset:value` per record. */
export interface Member {
  process: ChildProcess;
  /** `partition:offset:value` lines in arrival order. */
  lines: string[];
  stop(): Promise<void>;
}

export function member(command: string, args: string[]): Member {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const m: Member = {
    process: child,
    lines: [],
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
  let buf = '';
  let err = '';
  child.stdout!.on('data', (d) => {
    buf += String(d);
    const parts = buf.split('\n');
    buf = parts.pop()!;
    m.lines.push(...parts.filter((l) => l.length > 0));
  });
  child.stderr!.on('data', (d) => (err = (err + String(d)).slice(-4000)));
  child.once('exit', (code, signal) => {
    if (code !== 0 && signal === null) m.lines.push(`exited ${code}: ${err}`);
  });
  return m;
}

/** kcat -G (librdkafka's balanced consumer) with `strategy`; `config` adds -X settings. */
export function kcatMember(bootstrap: string, group: string, topic: string, strategy: string, config: string[] = []): Member {
  // -G: balanced consumer; offsets auto-committed; new groups start at the beginning.
  return member('kcat', ['-b', bootstrap, '-G', group, '-X', `partition.assignment.strategy=${strategy}`, '-X', 'session.timeout.ms=6000', '-X', 'heartbeat.interval.ms=300', '-X', 'auto.offset.reset=earliest', '-X', 'fetch.wait.max.ms=100', '-u', '-q', '-f', '%p:%o:%s\\n', ...config.flatMap((c) => ['-X', c]), topic]);
}

