"""The seed tutorial's Lambda handler, as a user pastes it (step 6): one copy for every test that runs it."""

# The seed tutorial's Lambda handler (step 6), character for character: with all whitespace
# removed it equals the seed text's. Only the line breaks the page's conversion lost are put back
# (between "import json" and its comment, before "def", around "#print(response)", before "return").
SEED_HANDLER = """\
import os
import boto3
import json
# grab environment variables
ENDPOINT_NAME = os.environ['ENDPOINT_NAME']
runtime= boto3.client('runtime.sagemaker')
def lambda_handler(event, context):
    print("Received event: " + json.dumps(event, indent=2))

    data = json.loads(json.dumps(event))
    payload = data['data']
    #print(payload)

    response = runtime.invoke_endpoint(EndpointName=ENDPOINT_NAME,
                                       ContentType='text/csv',
                                       Body=payload)
    #print(response)
    result = json.loads(response['Body'].read().decode())

    classes = ['Setosa', 'Versicolor', 'Virginica']
    res_list =  [ float(i) for i in result]
    return classes[res_list.index(max(res_list))]
"""
