"""Schemathesis hooks for the Blockplane API on the local cloud (test/e2e/api-fuzz.test.ts runs them).

- Every request is SigV4-signed (botocore's SigV4Auth over the final prepared request): host
  routes as a storage-host principal, every other route as a tenant.
- Well-formed host, volume and attachment ids in paths are replaced by a registered host and a
  real volume and attachment of the tenant, so the fuzzer reaches the handlers' success paths,
  not only their 404s. Deletes get their own volume and attachment, so the others stay usable.
- Long polls are capped at 1 s so the run stays short (the wait range itself is still fuzzed
  by negative cases).
- Every answer is counted per operation and status; the counts go to the stats file at exit.

Configuration: BLOCKPLANE_FUZZ_CONFIG names a JSON file with region, tenant and host
credentials, hostId, volumeId, deletableVolumeId, attachmentId, detachableAttachmentId and statsFile.
"""

import atexit
import json
import os
import re
from collections import Counter, defaultdict
from urllib.parse import urlsplit

import schemathesis
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from requests.auth import AuthBase

with open(os.environ["BLOCKPLANE_FUZZ_CONFIG"], encoding="utf-8") as config_file:
    CONFIG = json.load(config_file)

HOST_ID = re.compile(r"^[a-z0-9][a-z0-9-]{2,62}$")
VOLUME_ID = re.compile(r"^vol-[0-9a-f]{17}$")
ATTACHMENT_ID = re.compile(r"^att-[0-9a-f]{12}$")
HOST_ROUTE = re.compile(r"/hosts(/|$)")


class SigV4ForCaller(AuthBase):
    """Signs for execute-api as the host on host routes and as the tenant everywhere else."""

    def __init__(self) -> None:
        self.credentials = {
            kind: Credentials(CONFIG[kind]["accessKeyId"], CONFIG[kind]["secretAccessKey"]) for kind in ("tenant", "host")
        }

    def __call__(self, request):
        kind = "host" if HOST_ROUTE.search(urlsplit(request.url).path) else "tenant"
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("authorization", "x-amz-date", "connection")}
        aws_request = AWSRequest(method=request.method, url=request.url, data=body, headers=headers)
        SigV4Auth(self.credentials[kind], "execute-api", CONFIG["region"]).add_auth(aws_request)
        for name in ("Authorization", "X-Amz-Date", "X-Amz-Content-SHA256"):
            if name in aws_request.headers:
                request.headers[name] = aws_request.headers[name]
        return request


schemathesis.auth.set_from_requests(SigV4ForCaller())


def _replace(parameters, name, pattern, value):
    if isinstance(parameters.get(name), str) and pattern.match(parameters[name]):
        parameters[name] = value


@schemathesis.hook
def map_path_parameters(context, path_parameters):
    if not path_parameters:
        return path_parameters
    operation = context.operation
    deleting = operation.method.upper() == "DELETE"
    _replace(path_parameters, "hostId", HOST_ID, CONFIG["hostId"])
    if deleting and operation.path == "/volumes/{volumeId}":
        _replace(path_parameters, "volumeId", VOLUME_ID, CONFIG["deletableVolumeId"])
    else:
        _replace(path_parameters, "volumeId", VOLUME_ID, CONFIG["volumeId"])
    attachment = CONFIG["detachableAttachmentId"] if deleting else CONFIG["attachmentId"]
    _replace(path_parameters, "attachmentId", ATTACHMENT_ID, attachment)
    return path_parameters


@schemathesis.hook
def map_query(context, query):
    wait = (query or {}).get("wait")
    if isinstance(wait, int) and not isinstance(wait, bool) and 1 < wait <= 20:
        query["wait"] = 1
    return query


STATUSES = defaultdict(Counter)
SERVER_ERRORS = []


@schemathesis.hook
def after_call(context, case, response):
    operation = f"{case.operation.method.upper()} {case.operation.path}"
    STATUSES[operation][response.status_code] += 1
    if response.status_code >= 500:
        SERVER_ERRORS.append({"operation": operation, "status": response.status_code, "body": response.text[:500]})


@atexit.register
def write_stats():
    with open(CONFIG["statsFile"], "w", encoding="utf-8") as stats_file:
        json.dump(
            {
                "requests": sum(sum(counts.values()) for counts in STATUSES.values()),
                "byOperation": {op: {str(status): n for status, n in sorted(counts.items())} for op, counts in sorted(STATUSES.items())},
                "serverErrors": SERVER_ERRORS,
            },
            stats_file,
            indent=2,
        )
