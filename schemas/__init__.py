"""The wire contract: msgspec Structs shared by the portal, the workers and the load tests.

Field names are the official public interface's (camelCase), produced from snake_case
attributes by ``rename="camel"`` so Python code reads naturally.
"""
