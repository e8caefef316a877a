// Edges: how an agent joins a call (audio in per participant, audio out, join/leave events).
export type {
  AgentState,
  AgentUiEvent,
  Call,
  Edge,
  EdgeConnection,
  EdgeConnectionEvents,
  EdgeHttpRoutes,
  EdgeJoinOptions,
  Participant,
  TurnBreakdown,
} from "@callwright/spec";
