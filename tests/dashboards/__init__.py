"""Tests of the Grafana dashboards (dashboards/)."""
