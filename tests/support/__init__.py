"""Helpers shared by test packages: real servers started as subprocesses."""
