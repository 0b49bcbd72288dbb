"""Application Auto Scaling: scalable targets and scaling policies for SageMaker endpoint variants."""
