"""Tooling around the library, for development, demos and measurement: the replica builder
(:mod:`.replica`, templates as files), the mirror server that serves a ``HOST/PATH`` tree
(:mod:`.mirror_server`), and the evaluation harnesses for extraction (:mod:`.evaluate`) and
near-duplicates (:mod:`.neardup_eval`). Their data (the replica, the labelled near-duplicate set)
comes with a source checkout only (:mod:`.checkout`). The library never imports them."""
