"""The team engine: every run is a Temporal workflow (workflow id = run id), executed by `tui-editor worker`.

- `workflow.py`: the run's workflow (deterministic, no I/O) and the plain data it passes around.
- `activities.py`: the I/O a run does, in a worker: generate the preview, commit or reject it, end the run.
- `engine.py`: `TemporalEngine`, the `RunEngine` the editor and the command line use (a Temporal client).
- `worker.py`: the worker process (`tui-editor worker`).
- `devserver.py`: the Temporal CLI's local dev server (`tui-editor temporal-dev`, the tests).

Importing this package imports nothing of temporalio: only the modules above do.
"""
