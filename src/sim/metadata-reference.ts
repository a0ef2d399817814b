/**
 * The metadata image rebuilt from the committed log, for the simulator's checker: the image every
 * node's must equal at the offset it has applied, and what the committed log says happened, so
 * that an answer a controller gave can be checked against it (a topic created, a broker epoch
 * handed out). Each committed batch is also checked for the image's own consistency: every leader
 * a replica or none, in-sync replicas a subset of the replicas, partitions numbered from 0 without
 * gaps, a broker epoch the offset of its registration.
 */
import { imageDigest } from '../controller/image/image-records.js';
import { MetadataImage } from '../controller/image/metadata-image.js';
import { MetadataRecordType } from '../protocol/metadata/index.js';
import { decodeMetadataRecord } from '../protocol/metadata-record-serde.js';
import type { ReferenceState } from './raft-invariants.js';

export class MetadataReference implements ReferenceState {
  readonly image = new MetadataImage();
  /** Every topic id a committed TopicRecord created. */
  readonly createdTopicIds = new Set<string>();
  /** Every committed registration: `broker@epoch`. */
  readonly registrations = new Set<string>();

  apply(records: readonly Buffer[], endOffset: number): string | undefined {
    let offset = endOffset - records.length;
    for (const value of records) {
      const r = decodeMetadataRecord(value);
      if (r.apiKey === MetadataRecordType.TopicRecord) this.createdTopicIds.add(r.data.topicId);
      if (r.apiKey === MetadataRecordType.RegisterBrokerRecord) {
        if (r.data.brokerEpoch !== BigInt(offset)) return `broker ${r.data.brokerId} registered at offset ${offset} with epoch ${r.data.brokerEpoch}`;
        this.registrations.add(`${r.data.brokerId}@${r.data.brokerEpoch}`);
      }
      this.image.apply(r);
      offset++;
    }
    this.image.appliedOffset = endOffset;
    return this.inconsistency();
  }

  digest(): string {
    return imageDigest(this.image);
  }

  private inconsistency(): string | undefined {
    for (const t of this.image.topics()) {
      for (let i = 0; i < t.partitions.length; i++) {
        const p = t.partitions[i];
        if (!p || p.partitionId !== i) return `topic ${t.name} lacks partition ${i}`;
        if (p.leader !== -1 && !p.replicas.includes(p.leader)) return `${t.name}-${i}: leader ${p.leader} is not a replica of ${p.replicas.join(',')}`;
        if (p.isr.some((r) => !p.replicas.includes(r))) return `${t.name}-${i}: in-sync replicas ${p.isr.join(',')} not among the replicas ${p.replicas.join(',')}`;
        if (new Set(p.replicas).size !== p.replicas.length) return `${t.name}-${i}: a replica appears twice in ${p.replicas.join(',')}`;
      }
    }
    return undefined;
  }
}
