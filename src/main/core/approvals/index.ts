/**
 * The operator's side of the gate: approvals queued by an `ask` verdict, decided once (typed
 * host names on production), optionally remembered, and run exactly as approved. Below the
 * agent, so `fleetmind exec` queues and decides approvals without loading the agent.
 */
export {
  ApprovalService,
  ApprovalError,
  MIN_ID_PREFIX,
  rememberRefusal,
  typedConfirmationError,
  type ConversationResumer,
  type TypedHost,
  type ApprovalDecision,
  type RememberScope,
  type DecisionInput,
  type DecisionOutcome,
} from './approval-service';
