/**
 * ApiVersions (key 18), versions 0-4.
 *
 * Answers the versions every handler serves (KIP-35), and the supported and finalized features
 * (none yet). A request at a version we do not serve gets the v0 answer UNSUPPORTED_VERSION from
 * the dispatcher. The client software name and version (v3+, KIP-511) are validated as Kafka does
 * and logged.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { ApiVersionsApi } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';

/** KIP-511: client software names and versions are alphanumerics, '-' and '.', starting and ending alphanumeric. */
const SOFTWARE = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/;

export const apiVersionsHandler = defineHandler(ApiVersionsApi, { min: 0, max: 4 }, (req, ctx) => {
  const apiKeys = ctx.broker.apiVersions;
  if (ctx.apiVersion >= 3 && (!SOFTWARE.test(req.clientSoftwareName) || !SOFTWARE.test(req.clientSoftwareVersion))) {
    return { errorCode: ErrorCode.INVALID_REQUEST, apiKeys, throttleTimeMs: 0 };
  }
  if (ctx.apiVersion >= 3) ctx.log.debug({ client: req.clientSoftwareName, version: req.clientSoftwareVersion, conn: ctx.connection.id }, 'client connected');
  return { errorCode: ErrorCode.NONE, apiKeys, throttleTimeMs: 0 };
});
