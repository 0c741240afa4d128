"""The per-row skeleton shared by every generation step: whose row it is and where it sits."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from distillgov.traffic.simulator.plan import Accounts

I64 = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]


def segment_starts(flags: Bools) -> I64:
    """For each row, the index of the most recent row whose flag is set (row 0 must be set)."""
    marks = np.where(flags, np.arange(len(flags)), 0)
    return np.maximum.accumulate(marks)


def segment_cumsum(
    values: npt.NDArray[np.float64], flags: Bools, inclusive: bool = True
) -> npt.NDArray[np.float64]:
    """Running sum restarting at every flagged row."""
    total = np.cumsum(values)
    before = total - values
    base = before[segment_starts(flags)]
    return (total if inclusive else before) - base


@dataclass(frozen=True)
class Frame:
    """Rows of some accounts, grouped by account in sequence order.

    `conversation_start` and `session_start` are set on the first row of every account; a
    session is a burst of activity (a sitting at the keyboard, a script's loop) and holds one or
    more conversations.
    """

    account: I64  # global account index per row
    seq: I64  # position of the row within its account
    uid: I64  # globally unique row number: stable across chunkings
    conversation_start: Bools
    session_start: Bools

    def __len__(self) -> int:
        return len(self.account)

    @property
    def turn(self) -> I64:
        return np.arange(len(self.account)) - segment_starts(self.conversation_start)

    @property
    def session(self) -> I64:
        return np.cumsum(self.session_start) - 1

    @staticmethod
    def build(
        accounts: Accounts,
        members: I64,
        turns_mean: float,
        conversations_per_session: float,
        rng: np.random.Generator,
    ) -> Frame:
        """Expand accounts into rows and cut them into conversations (geometric lengths) and sessions."""
        counts = accounts.rows[members]
        account = np.repeat(members, counts)
        seq = np.arange(len(account)) - np.repeat(np.cumsum(counts) - counts, counts)
        first = seq == 0
        conversation = first | (rng.random(len(account)) < 1.0 / max(turns_mean, 1.0))
        session = first | (
            conversation & (rng.random(len(account)) < 1.0 / max(conversations_per_session, 1.0))
        )
        uid = accounts.row_offset[account] + seq
        return Frame(account, seq, uid, conversation, session)
