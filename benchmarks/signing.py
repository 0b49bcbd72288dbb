"""SigV4-signed InvokeEndpoint requests, exactly as botocore signs them.

Signing costs tens of microseconds of Python per request, which a real client pays on its own
CPU, not on the server's. The benchmark signs every request *before* the timed section (the
server accepts a signature for 15 minutes) so the load generator's own CPU use stays small on a
2-core machine, and reports the per-request signing cost separately.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import quote

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

SIGNING_NAME = "sagemaker"  # InvokeEndpoint is signed for "sagemaker", not "sagemaker-runtime"


@dataclass(frozen=True)
class Signer:
    access_key: str
    secret_key: str
    region: str = "us-east-1"

    def invoke_headers(self, base_url: str, endpoint: str, body: bytes, content_type: str) -> dict[str, str]:
        """The headers boto3's ``invoke_endpoint`` would send (Content-Type, X-Amz-Date, Authorization)."""
        url = f"{base_url}/endpoints/{quote(endpoint, safe='')}/invocations"
        request = AWSRequest(method="POST", url=url, data=body, headers={"Content-Type": content_type})
        SigV4Auth(Credentials(self.access_key, self.secret_key), SIGNING_NAME, self.region).add_auth(request)
        return {name: str(value) for name, value in request.headers.items()}


def presign_batch(
    signer: Signer, base_url: str, endpoint: str, body: bytes, content_type: str, count: int
) -> tuple[list[dict[str, str]], float]:
    """``count`` signed header sets and the mean signing time per request in seconds."""
    started = time.perf_counter()
    batch = [signer.invoke_headers(base_url, endpoint, body, content_type) for _ in range(count)]
    return batch, (time.perf_counter() - started) / max(count, 1)
