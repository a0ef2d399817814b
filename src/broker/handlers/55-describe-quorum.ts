/**
 * DescribeQuorum (key 55), versions 0-2, on the client listener (kafka-metadata-quorum.sh
 * --bootstrap-server): forwarded to the active controller, which answers for the metadata quorum
 * (controller-apis/55-describe-quorum.ts): leader, epoch, high watermark, voters and observers.
 */
import { DescribeQuorumApi } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';

export const describeQuorumHandler = defineHandler(DescribeQuorumApi, { min: 0, max: 2 }, (req, ctx) => ctx.broker.forwarder.forward(ctx, DescribeQuorumApi, req));
