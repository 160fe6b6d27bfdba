/** The role of one volume copy; the control plane decides it, the agent records it. */
export const CopyRole = { Primary: 'primary', Mirror: 'mirror' } as const;
export type CopyRole = (typeof CopyRole)[keyof typeof CopyRole];
