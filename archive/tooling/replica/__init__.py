"""A bundled, offline replica of the five source sites.

:mod:`archive.tooling.replica.templates` renders one page from one record (pure
functions, record dict in, HTML string out, through the Jinja2 template files
under ``templates/<site>/``); :mod:`archive.tooling.replica.build`
lays the whole static tree out as ``HOST/PATH`` from the records in
``replica/expected/`` (``python -m archive.tooling.replica.build``).  The tests and
the offline demo crawl that tree.
"""
