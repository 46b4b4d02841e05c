"""Tests of the deployment files (deploy/): Prometheus config, rules, compose, provisioning."""
