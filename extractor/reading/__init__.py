"""What a page says, with no backend in it.

* :mod:`extractor.reading.values`: single values in text (dates, ratings, numbers in words).
* :mod:`extractor.reading.readers`: a field's value in one sentence, and whether a sentence speaks
  of an earlier inspection.
* :mod:`extractor.reading.layout`: sentences, event headlines and where each event begins.

The rules backend, the checker and the model path all read pages through these modules; none of
them imports a backend.
"""
