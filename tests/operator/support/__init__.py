"""Test support for the operator: a Kubernetes API emulator and the CRD offline."""
