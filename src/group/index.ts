/** The group coordinator (classic consumer groups and committed offsets) and what it is built from. */
export { type DescribedGroup, type DescribedGroupMember, type GroupCoordinatorOptions, type ListedGroup, GroupCoordinator } from './group-coordinator.js';
export { heartbeatError } from './consumer-group-manager.js';
export { type GroupConfig, DEFAULT_GROUP_CONFIG, GROUP_CONFIG_KEYS, groupConfig, groupConfigFrom } from './group-config.js';
export { type JoinGroupParams } from './join-group.js';
export { type HeartbeatParams, type LeaveGroupParams, type LeaveGroupResult, type SyncGroupParams, NEW_MEMBER_JOIN_TIMEOUT_MS } from './classic-group-manager.js';
export { type JoinGroupMemberInfo, type JoinGroupResult, type JoinProtocol, type SyncGroupResult } from './classic-group-member.js';
export type { OffsetCommitParams, OffsetCommitPartition, OffsetDeleteParams, OffsetDeleteResult, OffsetFetchParams, OffsetFetchPartition, OffsetFetchResult, PartitionResult, TopicResult } from './offset-requests.js';
export { type OffsetsPartitionLog, type OffsetsStore, MemoryOffsetsStore, logOffsetsStore } from './offsets-store.js';
export { GroupState } from './group-state.js';
export { javaStringHashCode, partitionForGroup } from './partition-for.js';
export * from './coordinator-records.js';
