/**
 * ApiVersions (key 18), versions 0-4, on the controller listener: the APIs this listener serves
 * (the quorum's RPCs, broker registration and heartbeats, forwarded admin requests) and their
 * versions. The dispatcher answers a version it does not serve with the v0 UNSUPPORTED_VERSION
 * answer.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { ApiVersionsApi } from '../../protocol/messages/index.js';
import { defineControllerHandler } from './controller-context.js';

export const controllerApiVersionsHandler = defineControllerHandler(ApiVersionsApi, { min: 0, max: 4 }, (_req, ctx) => ({ errorCode: ErrorCode.NONE, apiKeys: ctx.node.apiVersions, throttleTimeMs: 0 }));
