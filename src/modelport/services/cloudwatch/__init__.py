"""CloudWatch (metrics): SageMaker endpoint metrics read through boto3's ``cloudwatch`` client."""
