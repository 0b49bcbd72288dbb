"""The SageMaker commands: deploy a model file, and list, invoke and remove endpoints."""
