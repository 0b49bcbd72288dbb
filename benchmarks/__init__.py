"""The benchmark: deploy time, invoke latency and throughput, memory — against baselines.

Run ``python scripts/bench.py --help`` (or ``python -m benchmarks``). Everything meets the
real server over HTTP, as a user would: the server is started with ``modelport.launcher``, the
control plane is driven with boto3, and the load generator sends SigV4-signed requests built with
botocore's own signer.

    loadgen.py     async load generator (httpx, one keep-alive connection per worker) + stats
    signing.py     SigV4-signed InvokeEndpoint requests, pre-signed before the timed section
    deploys.py     CreateEndpoint → InService timing, warm-pool readiness
    processes.py   worker pids from the per-instance logs, RSS/PSS from /proc
    baseline.py    the floor: in-process predict of the same model
    fastapi_app.py a minimal FastAPI app serving the same model (run as a subprocess)
    report.py      the table, the targets and the JSON document
    run.py         the sequence of phases and the command line
"""
