"""The workflow of one run (workflow id = run id). Deterministic: no I/O, no clock but `workflow.now()`.

    generate (activity) ─► preview_ready ─┬─ update "decide" ─► decide (activity) ─► accepted | rejected
        │  └─ failed (end activity)       └─ decision_timeout ─► expired (end activity)
        └─ workflow cancelled ─► cancelled (end activity)

The database stays the record every editor reads; each activity moves the run there with the same
compare-and-set and event as the embedded engine. The preview is also kept in the workflow's memo, so a
client reads it with `describe()` even when no worker is alive. A decision is a workflow *update*: the
caller gets the answer (the committed asset and revision, a conflict, "already decided") back.

Only plain data crosses the boundary (dataclasses of str/float/bool and JSON dicts), and this module imports
nothing but temporalio and the standard library, so the workflow sandbox loads it as is.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError
from temporalio.exceptions import TimeoutError as ActivityTimeoutError

WORKFLOW_NAME = "tui-editor.run"
GENERATE = "tui-editor.generate"
DECIDE = "tui-editor.decide"
END = "tui-editor.end"
DECIDE_UPDATE = "decide"

#: Error types an activity raises (ApplicationError.type) that no retry can heal.
DECISION_ERROR = "DecisionError"
CONFLICT_ERROR = "ConflictError"
NOT_FOUND_ERROR = "NotFoundError"
GENERATION_ERROR = "GenerationError"
BAD_INPUT_ERROR = "BadInputError"
NON_RETRYABLE = [DECISION_ERROR, CONFLICT_ERROR, NOT_FOUND_ERROR, GENERATION_ERROR, BAD_INPUT_ERROR]


@dataclass
class RunInput:
    run_id: str
    lecture_id: str
    clip_id: str
    kind: str
    provider: str
    #: The `StartRequest` as the editor sent it (its dataclass fields, serialised generically).
    request: dict[str, Any] = field(default_factory=dict)
    decision_timeout_s: float = 1800.0
    heartbeat_timeout_s: float = 10.0
    generation_timeout_s: float = 3600.0
    #: How often a generation lost with its worker is tried again: 1 (never) unless the provider bills
    #: nothing (the local generators), so a request that may have been billed is never sent twice.
    generation_attempts: int = 1


@dataclass
class GenerateInput:
    run_id: str
    heartbeat_timeout_s: float = 10.0


@dataclass
class DecideInput:
    run_id: str
    accept: bool
    decided_by: str = ""


@dataclass
class EndInput:
    run_id: str
    #: failed, cancelled or expired
    status: str
    message: str = ""


def readable(error: BaseException) -> str:
    """The innermost message of an activity failure, for the run's `error` (the provider's words)."""
    cause: BaseException | None = error
    message = str(error)
    while cause is not None:
        if isinstance(cause, ActivityTimeoutError):
            return "the worker stopped while generating (no heartbeat); the request was not sent again"
        if isinstance(cause, ApplicationError) and cause.message:
            return cause.message
        if str(cause):
            message = str(cause)
        cause = cause.__cause__
    return message or type(error).__name__


def _error_type(error: BaseException) -> str | None:
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, ApplicationError) and cause.type:
            return cause.type
        cause = cause.__cause__
    return None


_END_RETRY = RetryPolicy(initial_interval=timedelta(milliseconds=200), maximum_interval=timedelta(seconds=10))


@workflow.defn(name=WORKFLOW_NAME)
class RunWorkflow:
    def __init__(self) -> None:
        self._status = "queued"
        self._final: str | None = None
        self._deciding = False
        self._run_id = ""

    @workflow.run
    async def run(self, params: RunInput) -> str:
        self._run_id = params.run_id
        self._status = "generating"
        try:
            outcome: dict[str, Any] = await workflow.execute_activity(
                GENERATE,
                GenerateInput(run_id=params.run_id, heartbeat_timeout_s=params.heartbeat_timeout_s),
                result_type=dict,
                start_to_close_timeout=timedelta(seconds=params.generation_timeout_s),
                heartbeat_timeout=timedelta(seconds=params.heartbeat_timeout_s),
                retry_policy=RetryPolicy(
                    maximum_attempts=max(1, params.generation_attempts),
                    initial_interval=timedelta(milliseconds=200),
                    non_retryable_error_types=NON_RETRYABLE,
                ),
                cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
            )
        except (asyncio.CancelledError, CancelledError):
            # `cancel RUN`: the generator has stopped and removed its files; the run is marked (again).
            await self._end(params.run_id, "cancelled", "")
            raise
        except ActivityError as exc:
            await self._end(params.run_id, "failed", readable(exc))
            return "failed"
        status = str(outcome.get("status", "failed"))
        if status != "preview_ready":  # cancelled or failed in the database meanwhile
            self._status = self._final = status
            workflow.upsert_memo({"status": status})
            return status
        self._status = "preview_ready"
        workflow.upsert_memo({"status": "preview_ready", "preview": outcome.get("asset")})
        try:
            await workflow.wait_condition(
                lambda: self._final is not None, timeout=timedelta(seconds=params.decision_timeout_s)
            )
        except TimeoutError:
            await workflow.wait_condition(lambda: not self._deciding)
            if self._final is None:
                self._final = "expired"
                await self._end(params.run_id, "expired", "the preview expired")
        except (asyncio.CancelledError, CancelledError):
            await workflow.wait_condition(lambda: not self._deciding)
            if self._final is None:
                self._final = "cancelled"
                await self._end(params.run_id, "cancelled", "")
            raise
        await workflow.wait_condition(workflow.all_handlers_finished)
        assert self._final is not None
        self._status = self._final
        workflow.upsert_memo({"status": self._final})
        return self._final

    async def _end(self, run_id: str, status: str, message: str) -> None:
        self._status = self._final = status
        await workflow.execute_activity(
            END,
            EndInput(run_id=run_id, status=status, message=message),
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=_END_RETRY,
        )

    @workflow.update(name=DECIDE_UPDATE)
    async def decide(self, decision: DecideInput) -> dict[str, Any]:
        """Accept (commit, with the revision check) or reject the preview; the answer goes to the caller."""
        # The caller saw the preview in the database: its activity's result may be a moment behind.
        await workflow.wait_condition(lambda: self._status not in ("queued", "generating"))
        self._check_decidable()
        self._deciding = True
        try:
            result: dict[str, Any] = await workflow.execute_activity(
                DECIDE,
                decision,
                result_type=dict,
                start_to_close_timeout=timedelta(seconds=20),
                retry_policy=RetryPolicy(  # a database away for a moment: the commit is one transaction
                    maximum_attempts=10,
                    initial_interval=timedelta(milliseconds=200),
                    maximum_interval=timedelta(seconds=2),
                    non_retryable_error_types=NON_RETRYABLE,
                ),
            )
        except ActivityError as exc:
            kind = _error_type(exc)
            if kind == DECISION_ERROR:  # decided elsewhere meanwhile: nothing more to wait for
                self._final = self._final or "decided"
            raise ApplicationError(readable(exc), type=kind or "Error", non_retryable=True) from None
        finally:
            self._deciding = False
        self._final = "accepted" if decision.accept else "rejected"
        return result

    @decide.validator
    def _validate_decide(self, decision: DecideInput) -> None:
        if self._final is not None or self._deciding:
            self._check_decidable()

    def _check_decidable(self) -> None:
        if self._deciding:
            raise ApplicationError(f"run {self._run_id}: a decision is being saved", type=DECISION_ERROR)
        if self._status != "preview_ready" or self._final is not None:
            status = self._final or self._status
            raise ApplicationError(
                f"run {self._run_id} is {status}; only a run with a preview waiting can be decided",
                type=DECISION_ERROR,
            )
