"""Lambda functions: deployment zips, the execution-environment process and its pool.

Imports nothing on purpose: ``runner`` (run as ``python -m modelport.sandboxes.lambda_.runner``) passes
through this module, and it must stay an island that loads only the standard library.

    code         unpack a deployment zip safely; resolve ``Handler`` (server side)
    spec         ``EnvironmentSpec``: the environment variables a function process starts with
    environment  ``ExecutionEnvironment``: one runner process; timeouts, crashes, log tail
    pool         ``EnvironmentPool``: warm environments per function, concurrency limit
    spares       ``FunctionSpares``: runner processes started ahead with boto3 imported, in
                 the one ``sandboxes/spares.SparePool``
    errors       ``InvalidZip``, ``TooManyRequests``
    frames       the length-prefixed JSON protocol between the two sides (stdlib only)
    loglines     START / END / REPORT lines (stdlib only)
    handler      handler-name parsing shared by both sides (stdlib only)
    runner, context, sandbox   run inside the function process (stdlib only)
"""
