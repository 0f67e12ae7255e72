"""Vedder command line."""
