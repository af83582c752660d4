"""The approval queue: side effects (an e-mail, a webhook, a job run) that wait for a person's approval.

`queue.py` keeps them in the metadata store, `kinds.py` holds the built-in kinds, `payload.py` governs what
an action says about data. The rules (who proposes, sees, approves) are the service's: `service/actions.py`.
"""

from aios_workbench.approvals.queue import ActionQueue, action_dict

__all__ = ["ActionQueue", "action_dict"]
