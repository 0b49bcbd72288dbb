"""AWS wire formats, driven by botocore's service models.

The HTTP layer calls these with plain values and gets plain values back; handlers receive the
``params`` dict of a ``ParsedRequest`` (botocore's member names, converted and validated) and
never see HTTP. ``protocol.errors`` holds the one table from the error tree to AWS codes.

    ServiceProtocol.load("sagemaker")           models.py     model + per-operation plans
    parse_json_request / serialize_json_*       json_rpc.py   JSON 1.1 (control plane)
    parse_rest_request / serialize_rest_*       rest_json.py  rest-json (runtime)
    parse_query_request / serialize_query_*     query.py      query (IAM, STS); XML in query_xml.py
    read_input                                  inputs.py     types + constraints (validation)
    build_writer                                outputs.py    output shapes to JSON values
    compile_pattern                             patterns.py   Java regexes
    ERROR_TABLE / error_reply                   errors.py     the error tree -> AWS codes
"""

from modelport.aws.protocol.errors import ERROR_TABLE, ErrorReply, InvocationContext, WireError, error_reply
from modelport.aws.protocol.json_rpc import parse_json_request, serialize_json_error, serialize_json_response
from modelport.aws.protocol.models import OperationPlan, ParsedRequest, ServiceProtocol, WireResponse
from modelport.aws.protocol.query import parse_query_request, serialize_query_error, serialize_query_response
from modelport.aws.protocol.rest_json import parse_rest_request, serialize_rest_error, serialize_rest_response

__all__ = [
    "ERROR_TABLE",
    "ErrorReply",
    "InvocationContext",
    "OperationPlan",
    "ParsedRequest",
    "ServiceProtocol",
    "WireError",
    "WireResponse",
    "error_reply",
    "parse_json_request",
    "parse_query_request",
    "parse_rest_request",
    "serialize_json_error",
    "serialize_json_response",
    "serialize_query_error",
    "serialize_query_response",
    "serialize_rest_error",
    "serialize_rest_response",
]
