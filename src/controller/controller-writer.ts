/**
 * How a controller operation changes the metadata: it emits records, each applied at once to the
 * active controller's working image (so the next check in the same operation, and the next
 * operation, see it) and collected to be appended to the log as one batch. Kafka's controller
 * does the same with its timeline data structures; the working image here is a copy of the
 * committed image plus what this controller wrote and has not seen committed yet.
 */
import { type MetadataRecordInput } from '../protocol/metadata/index.js';
import { decodeMetadataRecord, encodeMetadataRecord } from '../protocol/metadata-record-serde.js';
import { MetadataDelta } from './image/metadata-delta.js';
import type { MetadataImage } from './image/metadata-image.js';

export class ControllerWriter {
  readonly records: Buffer[] = [];
  private readonly delta = new MetadataDelta();

  constructor(
    /** The active controller's working image. */
    readonly image: MetadataImage,
    /** The offset the first emitted record will get in the log. */
    private readonly baseOffset: number,
    /** The controller's clock, now. */
    readonly now: number,
  ) {}

  /** The offset the next emitted record will get (Kafka's broker epochs are record offsets). */
  get nextOffset(): number {
    return this.baseOffset + this.records.length;
  }

  emit(record: MetadataRecordInput): void {
    const bytes = encodeMetadataRecord(record);
    // Replayed from its bytes, as every other node will replay it.
    this.image.apply(decodeMetadataRecord(bytes), this.delta);
    this.records.push(bytes);
  }
}
