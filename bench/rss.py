"""Peak memory of the settlement worker settling one user with many flattrs.

`python -m bench.rss N` is a harness: it starts a moto server (in its own process, so the data
never counts against the worker), deploys the stack, writes one user with N flattrs, and runs the
worker in a fresh child process pointed at the server. The child imports the SettleWorker handler
the way Lambda does, hands it an SQS event with the user's settle job, and reports its own peak
RSS from resource.getrusage (ru_maxrss, KiB on Linux), after the import and after the settlement.
The harness prints one JSON line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time, uuid

def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

def vm_hwm_mb():
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmHWM:")) / 1024

import close_month_worker as worker  # what Lambda imports: the SettleWorker's Handler module
after_import = peak_mb()

class Context:
    function_name = "SettleWorkerFunction"
    function_version = "$LATEST"
    memory_limit_in_mb = "512"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:SettleWorkerFunction"
    aws_request_id = str(uuid.uuid4())
    log_group_name = "/aws/lambda/SettleWorkerFunction"
    log_stream_name = "bench"
    def get_remaining_time_in_millis(self):
        return 60_000

job = json.loads(sys.argv[1])
body = json.dumps(job, sort_keys=True, separators=(",", ":"))
event = {"Records": [{
    "messageId": str(uuid.uuid4()), "receiptHandle": "bench", "body": body, "attributes": {},
    "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
    "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:settle", "awsRegion": "us-east-1",
}]}
t0 = time.process_time()
result = worker.handler(event, Context())
cpu = time.process_time() - t0
print(json.dumps({"result": result, "peak_rss_mb": peak_mb(), "after_import_rss_mb": after_import,
                  "vm_hwm_mb": vm_hwm_mb(), "settle_cpu_s": cpu}))
"""


def main(flattrs: int) -> dict:
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from bench import env

    env.fake_aws_env()
    env.quiet()
    from moto.server import ThreadedMotoServer

    from local import moto_safety, runtime, stack

    runtime.ensure_paths()
    moto_safety.apply()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        os.environ["AWS_ENDPOINT_URL"] = endpoint = f"http://{host}:{port}"
        deployed = stack.deploy(stack_name="bench-rss")
        os.environ.update({k: str(v) for k, v in deployed.environment.items()})
        from flattr import settings
        from flattr.store import models

        settings.get.cache_clear()
        models.bind(deployed.table)
        from bench import settle

        settle.seed_whale(flattrs)
        fn = env.function("SettleWorkerFunction")
        child_env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "PYTHONPATH": os.pathsep.join(stack.python_paths()),
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": env.REGION,
            "AWS_DEFAULT_REGION": env.REGION,
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_LAMBDA_FUNCTION_NAME": fn.logical_id,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(env.template_setting(fn.logical_id, "MemorySize", 128)),
            **{k: str(v) for k, v in deployed.environment.items()},
        }
        job = {"kind": "settle", "month": settle.MONTH, "user_id": "whale"}
        # Through a shell that forks the worker rather than exec'ing it: on Linux a process's ru_maxrss
        # starts from its parent's RSS when the parent forked it, and this harness holds all of moto.
        proc = subprocess.run(
            [
                "/bin/sh",
                "-c",
                '"$@"; status=$?; exit $status',
                "sh",
                sys.executable,
                "-c",
                CHILD,
                json.dumps(job),
            ],
            check=False,
            env=child_env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"the worker child failed:\n{proc.stderr[-3000:]}")
        report = json.loads(proc.stdout.strip().splitlines()[-1])
        if report["result"].get("batchItemFailures"):
            raise RuntimeError(f"the worker failed the job: {report['result']}")
        record = models.Settlement.get(*models.Settlement.key("whale", settle.MONTH), consistent_read=True)
        if record.status != "done" or int(record.things) != flattrs:
            raise RuntimeError(f"the whale was not settled: {record.status} {record.things}")
        return {
            "flattrs": flattrs,
            **{k: report[k] for k in ("peak_rss_mb", "after_import_rss_mb", "vm_hwm_mb", "settle_cpu_s")},
        }
    finally:
        server.stop()


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)))
