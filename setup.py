"""Packages: everything under src/, plus the top-level migrations/ shipped as qbsync.migrations."""

from setuptools import find_packages, setup

setup(packages=[*find_packages("src"), "qbsync.migrations", "qbsync.migrations.versions"])
