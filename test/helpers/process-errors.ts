/**
 * The unhandled rejections and uncaught exceptions of the test process while the calling file's
 * tests run (hooks registered on the file's root), for tests that must see none.
 */
import { after, before } from 'node:test';

export function processErrorsWhileTesting(): readonly string[] {
  const errors: string[] = [];
  const onError = (err: unknown) => errors.push(String((err as Error)?.stack ?? err));
  before(() => {
    process.on('unhandledRejection', onError);
    process.on('uncaughtException', onError);
  });
  after(() => {
    process.off('unhandledRejection', onError);
    process.off('uncaughtException', onError);
  });
  return errors;
}
