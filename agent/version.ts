/** The agent's version, sent in `POST /hosts` (semantic version). */
export const AGENT_VERSION = '0.1.0';
