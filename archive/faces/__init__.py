"""The faces users meet: the ``archive`` command line (:mod:`.cli`), the crawl runner
(:mod:`.crawl`), Datasette serving (:mod:`.serve` with its plugin and metadata) and the
per-site statistics (:mod:`.stats`). The scheduler (``scheduler.py``) is the fourth face.
They call the library (``archive.*``); the library never imports them."""
