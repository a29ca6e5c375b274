"""The model backend: asking an OpenAI-compatible server to fill the answer schema.

* :mod:`extractor.llm.protocol`: request settings, request bodies, answer reading, assembling
  a record's extraction from grounded parts, re-ask messages and the cache key: everything both
  callers share.
* :mod:`extractor.llm.online`: the online backend (transport, retries, re-asks).
* :mod:`extractor.llm.batch`: the Batch API (prepare, submit, status, collect, ingest).
* :mod:`extractor.llm.answer`, :mod:`~extractor.llm.prompting`, :mod:`~extractor.llm.chunking`,
  :mod:`~extractor.llm.grounding`, :mod:`~extractor.llm.align`, :mod:`~extractor.llm.cache`: the
  answer schema, the prompt, long pages in parts, quotes tied to the page, and the result cache.

Nothing here is imported by the rules backend: ``pip install`` users of ``rules`` never load
openai or instructor.
"""
