import {
  ApproveActionRequest,
  ProposedAction,
  RejectActionRequest
} from './api';
import { postAPI, requestAPI, withQuery } from './request';

/** One proposed action as the caller may see it (404 when they may not). */
export function fetchAction(id: number): Promise<ProposedAction> {
  return requestAPI<ProposedAction>(withQuery('actions/action', { id }));
}

/** Approve an action, with the payload as edited (or as proposed); it is executed at once. */
export function approveAction(
  id: number,
  payload?: Record<string, unknown>,
  reason?: string
): Promise<ProposedAction> {
  const body: ApproveActionRequest = { id, payload, reason };
  return postAPI<ProposedAction>('actions/approve', body);
}

/** Reject an action; `reason` is required (the proposer reads it). */
export function rejectAction(
  id: number,
  reason: string
): Promise<ProposedAction> {
  const body: RejectActionRequest = { id, reason };
  return postAPI<ProposedAction>('actions/reject', body);
}
