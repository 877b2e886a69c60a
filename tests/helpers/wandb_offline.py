"""Read an offline W&B run file (``run-<id>.wandb``) without network or a W&B server.

The file is a LevelDB-style log of protobuf ``Record`` messages: a 7-byte header, then 32 KiB
blocks of chunks, each with a 7-byte header (checksum, length, type). Used to check what a run
logged (tests, ``compare``) before it is synced with ``wandb sync``.
"""

from __future__ import annotations

import json
import struct
import time
from collections.abc import Iterator
from pathlib import Path

_FILE_HEADER = 7
_BLOCK = 32768
_CHUNK_HEADER = 7
_FULL, _FIRST, _MIDDLE, _LAST = 1, 2, 3, 4


def records(path: str | Path) -> Iterator:
    """Yield every ``wandb_internal_pb2.Record`` in the file, in order."""
    from wandb.proto import wandb_internal_pb2

    for payload in _payloads(Path(path).read_bytes()):
        record = wandb_internal_pb2.Record()
        record.ParseFromString(payload)
        yield record


def summary(path: str | Path, wait_for_exit: float = 30.0) -> dict:
    """Run id, name, group, job type, config, final summary and exit code of an offline run.

    wandb-core writes the file in blocks and may flush the last one (with the exit record)
    a moment after ``finish()`` returned, later on a loaded machine: read again until the exit
    record is there or ``wait_for_exit`` seconds have passed.
    """
    deadline = time.monotonic() + wait_for_exit
    while True:
        out = _read_summary(path)
        if out["exit_code"] is not None or time.monotonic() > deadline:
            return out
        time.sleep(0.5)


def _read_summary(path: str | Path) -> dict:
    out: dict = {"config": {}, "summary": {}, "exit_code": None}
    for record in records(path):
        kind = record.WhichOneof("record_type")
        if kind == "run":
            run = record.run
            out.update(
                run_id=run.run_id,
                name=run.display_name,
                group=run.run_group,
                job_type=run.job_type,
                project=run.project,
                tags=list(run.tags),
            )
            _merge(out["config"], run.config.update)
        elif kind == "config":
            _merge(out["config"], record.config.update)
        elif kind == "summary":
            _merge(out["summary"], record.summary.update)
        elif kind == "exit":
            out["exit_code"] = record.exit.exit_code
    return out


def _merge(target: dict, items) -> None:
    for item in items:
        key = item.key or "/".join(item.nested_key)
        target[key] = json.loads(item.value_json)


def _payloads(data: bytes) -> Iterator[bytes]:
    if data[:4] != b":W&B":
        raise ValueError("not a W&B run file (missing ':W&B' header)")
    pos, pending = _FILE_HEADER, b""
    while pos + _CHUNK_HEADER <= len(data):
        room = _BLOCK - pos % _BLOCK
        if room < _CHUNK_HEADER:  # the block's tail is zero padding
            pos += room
            continue
        length, kind = struct.unpack_from("<HB", data, pos + 4)
        chunk = data[pos + _CHUNK_HEADER : pos + _CHUNK_HEADER + length]
        pos += _CHUNK_HEADER + length
        if kind == 0 and length == 0:
            continue
        pending = chunk if kind in (_FULL, _FIRST) else pending + chunk
        if kind in (_FULL, _LAST):
            yield pending
            pending = b""


def history(path: str | Path) -> list[dict]:
    """Every ``run.log`` row of an offline run, in order (media such as tables appear as the
    dict W&B stores: ``{"_type": "table-file", "path": ...}``, relative to the run's files)."""
    rows = []
    for record in records(path):
        if record.WhichOneof("record_type") == "history":
            row: dict = {}
            _merge(row, record.history.item)
            rows.append(row)
    return rows
