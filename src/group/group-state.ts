/**
 * The classic group protocol's states, with Kafka's names (DescribeGroups and ListGroups report
 * them verbatim) and the states each may be entered from.
 *
 *   Empty ──join──▶ PreparingRebalance ──all joined / rebalance timeout──▶ CompletingRebalance
 *     ▲                 ▲        │ (no members left)                         │ leader's SyncGroup
 *     └─────────────────┼────────┘                                           ▼
 *                       └──── join / leave / expiry / metadata change ──── Stable
 *   Dead: deleted or expired; entered from anywhere, left never.
 */
export const GroupState = {
  Empty: 'Empty',
  PreparingRebalance: 'PreparingRebalance',
  CompletingRebalance: 'CompletingRebalance',
  Stable: 'Stable',
  Dead: 'Dead',
} as const;
export type GroupState = (typeof GroupState)[keyof typeof GroupState];

const VALID_PREVIOUS: Record<GroupState, readonly GroupState[]> = {
  Empty: [GroupState.PreparingRebalance],
  PreparingRebalance: [GroupState.Stable, GroupState.CompletingRebalance, GroupState.Empty],
  CompletingRebalance: [GroupState.PreparingRebalance],
  Stable: [GroupState.CompletingRebalance],
  Dead: [GroupState.Stable, GroupState.PreparingRebalance, GroupState.CompletingRebalance, GroupState.Empty, GroupState.Dead],
};

export function isValidTransition(from: GroupState, to: GroupState): boolean {
  return VALID_PREVIOUS[to].includes(from);
}

/** A state name as ListGroups filters compare it (case-insensitively, as Kafka does). */
export function parseGroupState(name: string): GroupState | undefined {
  const lower = name.toLowerCase();
  return Object.values(GroupState).find((s) => s.toLowerCase() === lower);
}
