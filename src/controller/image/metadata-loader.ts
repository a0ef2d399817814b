/**
 * Applies the committed metadata log to the image (Kafka's MetadataLoader): the Raft client's
 * listener on every node. Each committed batch is decoded and replayed; a loaded snapshot replaces
 * the image. After each, the publishers hear what changed (a broker's partitions, the controller),
 * in commit order, synchronously: publishers that need to do I/O queue it themselves. Asked for a
 * snapshot, the loader writes the image as records.
 */
import type { CommittedBatch, RaftListener } from '../raft/raft-core.js';
import type { LeaderAndEpoch } from '../raft/offset-and-epoch.js';
import type { SnapshotContents } from '../raft/snapshots.js';
import { decodeMetadataRecord } from '../../protocol/metadata-record-serde.js';
import { encodeImage } from './image-records.js';
import { MetadataImage } from './metadata-image.js';
import { MetadataDelta } from './metadata-delta.js';

/** What a publisher is told after each commit or snapshot load. */
export interface MetadataUpdate {
  readonly image: MetadataImage;
  /** What changed; after a snapshot load, everything may have (`fromSnapshot`). */
  readonly delta: MetadataDelta;
  /** The offset after the last record now in the image. */
  readonly offset: number;
  readonly fromSnapshot: boolean;
}

export interface MetadataPublisher {
  onMetadataUpdate(update: MetadataUpdate): void;
  onLeaderChange?(leader: LeaderAndEpoch): void;
}

export interface MetadataLoaderOptions {
  /** A committed record that does not decode (skipped). */
  onBadRecord?(offset: number, err: unknown): void;
}

export class MetadataLoader implements RaftListener {
  readonly image = new MetadataImage();
  private readonly publishers: MetadataPublisher[] = [];
  private leader: LeaderAndEpoch | undefined;

  constructor(private readonly options: MetadataLoaderOptions = {}) {}

  /** Adds a publisher; it first hears of the image as it stands (a full update) if anything is in it. */
  installPublisher(p: MetadataPublisher): void {
    this.publishers.push(p);
    if (this.image.appliedOffset > 0) p.onMetadataUpdate({ image: this.image, delta: new MetadataDelta(), offset: this.image.appliedOffset, fromSnapshot: true });
    if (this.leader) p.onLeaderChange?.(this.leader);
  }

  removePublisher(p: MetadataPublisher): void {
    const i = this.publishers.indexOf(p);
    if (i >= 0) this.publishers.splice(i, 1);
  }

  /** The leader and epoch last heard of. */
  get leaderAndEpoch(): LeaderAndEpoch | undefined {
    return this.leader;
  }

  handleCommit(batch: CommittedBatch): void {
    const delta = new MetadataDelta();
    batch.records.forEach((value, i) => {
      try {
        this.image.apply(decodeMetadataRecord(value), delta);
      } catch (err) {
        this.options.onBadRecord?.(batch.baseOffset + i, err);
      }
    });
    this.image.appliedOffset = batch.lastOffset + 1;
    this.publish({ image: this.image, delta, offset: this.image.appliedOffset, fromSnapshot: false });
  }

  handleLoadSnapshot(snapshot: SnapshotContents): void {
    this.image.reset();
    snapshot.records.forEach((value, i) => {
      try {
        this.image.apply(decodeMetadataRecord(value));
      } catch (err) {
        this.options.onBadRecord?.(snapshot.id.offset - snapshot.records.length + i, err);
      }
    });
    this.image.appliedOffset = snapshot.id.offset;
    this.publish({ image: this.image, delta: new MetadataDelta(), offset: snapshot.id.offset, fromSnapshot: true });
  }

  handleLeaderChange(leader: LeaderAndEpoch): void {
    this.leader = leader;
    for (const p of [...this.publishers]) p.onLeaderChange?.(leader);
  }

  snapshotRecords(): Buffer[] {
    return encodeImage(this.image);
  }

  private publish(update: MetadataUpdate): void {
    for (const p of [...this.publishers]) p.onMetadataUpdate(update);
  }
}
