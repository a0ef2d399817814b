/**
 * A minimal protocol client for tests: sends requests with Samsa's codecs over one socket and
 * matches responses by correlation id. Tests use it to speak to the broker at exact API versions
 * and to send bytes no real client would.
 */
import { type Socket, connect } from 'node:net';
import { FrameReader } from '../../src/network/frame-reader.js';
import type { ApiDescriptor } from '../../src/protocol/api-descriptor.js';
import { encodeRequestFrame, readResponseFrame } from '../../src/protocol/frames.js';

interface Pending {
  api: ApiDescriptor<unknown, never, unknown, never>;
  version: number;
  resolve: (body: unknown) => void;
  reject: (err: Error) => void;
}

export class RawClient {
  private readonly pending = new Map<number, Pending>();
  private nextCorrelationId = 1;
  readonly closed: Promise<void>;
  /** Called with each response's correlation id as it arrives, before it is matched (pipelining tests check the order). */
  onResponse: ((correlationId: number) => void) | undefined;

  private constructor(readonly socket: Socket) {
    const reader = new FrameReader(1 << 30);
    socket.on('data', (chunk) => {
      for (const frame of reader.push(chunk)) {
        // Bare SASL tokens (after SaslHandshake v0) have no correlation id; tests read those from the socket.
        if (frame.length < 4) continue;
        const id = frame.readInt32BE(0);
        this.onResponse?.(id);
        const p = this.pending.get(id);
        if (!p) continue;
        this.pending.delete(id);
        try {
          p.resolve(readResponseFrame(p.api, p.version, frame).body);
        } catch (err) {
          p.reject(err as Error);
        }
      }
    });
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        for (const p of this.pending.values()) p.reject(new Error('connection closed'));
        this.pending.clear();
        resolve();
      }),
    );
    socket.on('error', () => {});
  }

  static async connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    const socket = connect(port, host);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawClient(socket);
  }

  /** Sends a request at `version` and resolves with the decoded response body. */
  send<Req, ReqIn, Res, ResIn>(api: ApiDescriptor<Req, ReqIn, Res, ResIn>, version: number, body: ReqIn, clientId: string | null = 'samsa-test'): Promise<Res> {
    const correlationId = this.nextCorrelationId++;
    const frame = encodeRequestFrame(api as unknown as ApiDescriptor<unknown, never, unknown, never>, version, correlationId, clientId, body);
    return new Promise<Res>((resolve, reject) => {
      this.pending.set(correlationId, { api: api as unknown as Pending['api'], version, resolve: resolve as (b: unknown) => void, reject });
      for (const b of frame) this.socket.write(b);
    });
  }

  /** Writes raw bytes, for malformed-input tests. */
  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  close(): void {
    this.socket.destroy();
  }
}
