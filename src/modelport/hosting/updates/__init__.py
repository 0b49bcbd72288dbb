"""Updating a serving endpoint: ``run.py`` carries an update out (blue/green, resize, restart),
``shifting.py`` computes a DeploymentConfig's traffic schedule, ``rolling.py`` replaces a fleet
batch by batch, ``guard.py`` decides from CloudWatch alarms whether to roll back."""
