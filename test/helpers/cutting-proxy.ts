/**
 * A TCP proxy in front of a broker that can lose an answer: once armed, the next Produce request
 * goes through to the broker (which writes it) and the connection is cut when its response comes
 * back, so the client never hears of the write and must retry. Point the broker's
 * advertised.listeners at the proxy so that every client connection passes through it.
 */
import { type AddressInfo, type Server, type Socket, connect, createServer } from 'node:net';
import { FrameReader } from '../../src/network/frame-reader.js';
import { ProduceApi } from '../../src/protocol/messages/index.js';

export class CuttingProxy {
  private armed = 0;
  /** Produce answers lost so far. */
  cuts = 0;
  private readonly sockets = new Set<Socket>();
  targetPort = 0;

  private constructor(private readonly server: Server) {}

  static async listen(): Promise<CuttingProxy> {
    const server = createServer();
    const proxy = new CuttingProxy(server);
    server.on('connection', (client) => proxy.pipe(client));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Loses the answers of the next `n` Produce requests (cutting their connections). */
  loseNextProduceAnswers(n = 1): void {
    this.armed += n;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private pipe(client: Socket): void {
    const broker = connect(this.targetPort, '127.0.0.1');
    for (const s of [client, broker]) {
      this.sockets.add(s);
      s.on('error', () => {});
      s.once('close', () => {
        this.sockets.delete(s);
        client.destroy();
        broker.destroy();
      });
    }
    const doomed = new Set<number>();
    const requests = new FrameReader(1 << 30);
    client.on('data', (chunk) => {
      for (const frame of requests.push(chunk)) {
        if (this.armed > 0 && frame.readInt16BE(0) === ProduceApi.apiKey) {
          this.armed--;
          doomed.add(frame.readInt32BE(4));
        }
      }
      broker.write(chunk);
    });
    const responses = new FrameReader(1 << 30);
    broker.on('data', (chunk) => {
      for (const frame of responses.push(chunk)) {
        if (doomed.has(frame.readInt32BE(0))) {
          this.cuts++;
          client.destroy();
          broker.destroy();
          return;
        }
      }
      client.write(chunk);
    });
  }
}
