"""EchoSphere: a real-time chat platform, embedded in one process or clustered on Kubernetes."""

__version__ = "0.1.0"
