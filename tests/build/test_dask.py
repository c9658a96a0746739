"""`pamphleteer build --dask-address`: the same flow on an existing Dask cluster of two workers
that the test starts on 127.0.0.1; the documents are built by the workers' processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import ROOT

pytestmark = pytest.mark.slow


def test_build_runs_on_a_dask_cluster(seeds_raw: Path, tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed", reason="prefect-dask (the dask extra)")
    out = tmp_path / "build"
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect")}
        cmd = [sys.executable, "-m", "flows.cli", "build", "--raw", str(seeds_raw),
               "--out", str(out), "--formats", "html,pdf", "--dask-address",
               cluster.scheduler_address]  # fmt: skip
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        # Which processes did the work: the scheduler saw the batches run on its workers.
        ran = client.run_on_scheduler(
            lambda dask_scheduler: {
                ts.key: str(ts.processing_on or "")
                for ts in dask_scheduler.tasks.values()
                if "build" in str(ts.key)
            }
        )
        prefixes = client.run_on_scheduler(
            lambda dask_scheduler: sorted(str(p) for p in dask_scheduler.task_prefixes)
        )
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads((out / "report.json").read_text())
    assert report["counts"]["built"] == 2
    for doc in report["documents"]:
        assert (out / doc["outputs"]["pdf"]).read_bytes().startswith(b"%PDF")
    assert any("build" in p for p in prefixes), (prefixes, ran)
