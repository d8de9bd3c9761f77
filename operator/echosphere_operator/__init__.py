"""The EchoSphere operator: kopf handlers over pure manifest builders."""
