/**
 * A Network for client tests: real node:net connections whose outgoing requests are recorded by
 * API key, and that can swallow chosen requests (the broker never sees them, so they are never
 * answered). Writes are regrouped into whole frames on the way.
 */
import type { Socket } from 'node:net';
import { type ConnectOptions, type Network, nodeNetwork } from '../../src/network/network.js';

export interface SentRequest {
  apiKey: number;
  correlationId: number;
  dropped: boolean;
}

export class RecordingNetwork implements Network {
  readonly sent: SentRequest[] = [];
  connects = 0;
  /** Decides, for each request frame, whether it is swallowed instead of sent. */
  drop: (apiKey: number, nth: number) => boolean = () => false;

  createServer: Network['createServer'] = (onConnection) => nodeNetwork.createServer(onConnection);

  connect(options: ConnectOptions): Socket {
    this.connects++;
    const socket = nodeNetwork.connect(options);
    const write = socket.write.bind(socket) as (chunk: Uint8Array) => boolean;
    let pending = Buffer.alloc(0);
    socket.write = ((chunk: Uint8Array | string) => {
      pending = Buffer.concat([pending, typeof chunk === 'string' ? Buffer.from(chunk) : chunk]);
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        const frame = pending.subarray(0, 4 + pending.readInt32BE(0));
        pending = pending.subarray(frame.length);
        const apiKey = frame.readInt16BE(4);
        const dropped = this.drop(apiKey, this.count(apiKey));
        this.sent.push({ apiKey, correlationId: frame.readInt32BE(8), dropped });
        if (!dropped) write(Buffer.from(frame));
      }
      return true;
    }) as Socket['write'];
    return socket;
  }

  /** Requests with this API key recorded so far (dropped or not). */
  count(apiKey: number): number {
    return this.sent.filter((r) => r.apiKey === apiKey).length;
  }
}
