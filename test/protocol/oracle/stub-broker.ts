/**
 * A stand-in broker for capturing what real clients send: it answers ApiVersions, Metadata,
 * FindCoordinator, ListOffsets, Produce and Fetch just well enough for a client to go on to the
 * request under study, and records every request frame it receives.
 */
import { type AddressInfo, type Server, type Socket, createServer } from 'node:net';
import { FrameReader } from '../../../src/network/frame-reader.js';
import { encodeResponseFrame, readRequestFrame } from '../../../src/protocol/frames.js';
import { API_DESCRIPTORS, ApiKey } from '../../../src/protocol/messages/index.js';
import type * as M from '../../../src/protocol/messages/index.js';

export interface CapturedFrame {
  apiKey: number;
  apiVersion: number;
  frame: Buffer;
}

export class StubBroker {
  readonly frames: CapturedFrame[] = [];
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((s) => this.serve(s));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const reader = new FrameReader(100 << 20);
    socket.on('data', (chunk) => {
      for (const frame of reader.push(chunk)) {
        const req = readRequestFrame(frame);
        this.frames.push({ apiKey: req.apiKey, apiVersion: req.apiVersion, frame: Buffer.from(frame) });
        if (!req.api || !req.header) {
          socket.destroy();
          return;
        }
        const body = this.respond(req.apiKey, req.apiVersion, req.api.decodeRequest(req.body, req.apiVersion));
        if (body !== undefined) socket.write(Buffer.concat(encodeResponseFrame(req.api, req.apiVersion, req.correlationId, body)));
      }
    });
  }

  private respond(apiKey: number, version: number, request: unknown): unknown {
    const node = { nodeId: 1, host: '127.0.0.1', port: this.port };
    switch (apiKey) {
      case ApiKey.ApiVersions:
        return {
          errorCode: 0,
          throttleTimeMs: 0,
          apiKeys: API_DESCRIPTORS.map((a) => ({ apiKey: a.apiKey, minVersion: a.minVersion, maxVersion: a.maxVersion })),
        } satisfies M.ApiVersionsResponseInput;
      case ApiKey.Metadata: {
        const req = request as M.MetadataRequest;
        const names = req.topics?.map((t) => t.name ?? '') ?? [];
        const topics = (names.length ? names : ['oracle-topic']).map((name) => ({
          errorCode: 0,
          name,
          topicId: Buffer.alloc(16, 1).toString('base64url'),
          isInternal: false,
          partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 1, leaderEpoch: 0, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] }],
        }));
        return { throttleTimeMs: 0, brokers: [node], clusterId: 'stub-cluster', controllerId: 1, topics } satisfies M.MetadataResponseInput;
      }
      case ApiKey.FindCoordinator: {
        const req = request as M.FindCoordinatorRequest;
        const keys = version >= 4 ? req.coordinatorKeys : [req.key];
        if (version >= 4) {
          return { throttleTimeMs: 0, coordinators: keys.map((key) => ({ key, ...node, errorCode: 0, errorMessage: null })) } satisfies M.FindCoordinatorResponseInput;
        }
        return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, ...node } satisfies M.FindCoordinatorResponseInput;
      }
      case ApiKey.ListOffsets: {
        const req = request as M.ListOffsetsRequest;
        return {
          throttleTimeMs: 0,
          topics: req.topics.map((t) => ({
            name: t.name,
            partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: 0, ...(version === 0 ? { oldStyleOffsets: [0n] } : {}), timestamp: -1n, offset: 0n, ...(version >= 4 ? { leaderEpoch: 0 } : {}) })),
          })),
        } satisfies M.ListOffsetsResponseInput;
      }
      case ApiKey.Produce: {
        const req = request as M.ProduceRequest;
        if (req.acks === 0) return undefined;
        return {
          throttleTimeMs: 0,
          responses: req.topicData.map((t) => ({
            name: t.name,
            partitionResponses: t.partitionData.map((p) => ({ index: p.index, errorCode: 0, baseOffset: 0n, logAppendTimeMs: -1n, logStartOffset: 0n, recordErrors: [], errorMessage: null })),
          })),
        } satisfies M.ProduceResponseInput;
      }
      case ApiKey.Fetch: {
        const req = request as M.FetchRequest;
        return {
          throttleTimeMs: 0,
          errorCode: 0,
          sessionId: 0,
          responses: req.topics.map((t) => ({
            topic: t.topic,
            topicId: t.topicId,
            partitions: t.partitions.map((p) => ({ partitionIndex: p.partition, errorCode: 0, highWatermark: 0n, lastStableOffset: 0n, logStartOffset: 0n, abortedTransactions: [], preferredReadReplica: -1, records: null })),
          })),
        } satisfies M.FetchResponseInput;
      }
      case ApiKey.JoinGroup: {
        const req = request as M.JoinGroupRequest;
        const memberId = 'member-1';
        const protocol = req.protocols[0]!;
        return {
          throttleTimeMs: 0,
          errorCode: 0,
          generationId: 1,
          protocolType: req.protocolType,
          protocolName: protocol.name,
          leader: memberId,
          memberId,
          members: [{ memberId, groupInstanceId: null, metadata: protocol.metadata }],
        } satisfies M.JoinGroupResponseInput;
      }
      case ApiKey.SyncGroup: {
        const req = request as M.SyncGroupRequest;
        const mine = req.assignments.find((a) => a.memberId === req.memberId);
        return { throttleTimeMs: 0, errorCode: 0, protocolType: req.protocolType, protocolName: req.protocolName, assignment: mine?.assignment ?? Buffer.alloc(0) } satisfies M.SyncGroupResponseInput;
      }
      case ApiKey.OffsetFetch: {
        const req = request as M.OffsetFetchRequest;
        return {
          throttleTimeMs: 0,
          errorCode: 0,
          topics: (req.topics ?? []).map((t) => ({
            name: t.name,
            partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 })),
          })),
        } satisfies M.OffsetFetchResponseInput;
      }
      case ApiKey.Heartbeat:
        return { throttleTimeMs: 0, errorCode: 0 } satisfies M.HeartbeatResponseInput;
      default:
        // The request under study: record it and leave the client waiting.
        return undefined;
    }
  }
}
