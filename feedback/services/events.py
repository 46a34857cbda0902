"""What happens in the feedback stage when an interview is recorded as held, wired in
one place so that each part of the stage adds its own step without the interview part
importing it:

- the consensus part asks the employee to agree or disagree (an Acknowledgement);
- the plans part starts the improvement plan when the cycle's policy requires one.

A listener is ``listener(*, interview, actor) -> None``; it runs inside the transaction
that records the interview (a failure undoes the record), in registration order
(feedback/apps.py)."""

from __future__ import annotations

from collections.abc import Callable

INTERVIEW_RECORDED: list[Callable] = []


def on_interview_recorded(listener: Callable) -> Callable:
    if listener not in INTERVIEW_RECORDED:
        INTERVIEW_RECORDED.append(listener)
    return listener


def interview_recorded(*, interview, actor) -> None:
    for listener in INTERVIEW_RECORDED:
        listener(interview=interview, actor=actor)
