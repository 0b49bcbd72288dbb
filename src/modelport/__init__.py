"""modelport: self-hosted model hosting that speaks SageMaker's wire APIs."""

__version__ = "0.1.0"
