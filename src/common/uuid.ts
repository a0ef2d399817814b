/** Kafka's Uuid (topic ids, cluster ids, directory ids): 16 random bytes in URL-safe base64. */
import { ZERO_UUID } from '../protocol/primitives/codec-support.js';
import type { Random } from './random.js';

/** Kafka's Uuid.ZERO_UUID, never handed out. */
export { ZERO_UUID };
/** Kafka's Uuid.ONE_UUID (the metadata topic's id), never handed out either. */
const ONE_UUID = 'AAAAAAAAAAAAAAAAAAAAAQ';

/** 16 bytes drawn from `random` in URL-safe base64, never one of Kafka's reserved ids (Uuid.randomUuid). */
export function newUuid(random: Random): string {
  for (;;) {
    const bytes = Buffer.alloc(16);
    for (let i = 0; i < 16; i++) bytes[i] = Math.floor(random() * 256);
    const id = bytes.toString('base64url');
    if (id !== ZERO_UUID && id !== ONE_UUID && !id.startsWith('-')) return id;
  }
}
