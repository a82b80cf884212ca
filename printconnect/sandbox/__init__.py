"""Loopback emulators of the store platforms' APIs (DESIGN.md section 9).

Plain WSGI apps (no Django) served on 127.0.0.1 by `printconnect.sandbox.server`; the demo's stores live there and
the connectors' tests and benchmarks talk to them over real HTTP.
"""
