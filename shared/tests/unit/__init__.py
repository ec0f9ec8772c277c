"""Unit tests of shared.

A package on purpose: pytest then names these modules `unit.*`. Without it, importlib mode names them
`shared.tests.unit.*` from the rootdir and inserts the `shared/` folder as a namespace package over the
real `shared` package whenever these tests are collected first or alone.
"""
