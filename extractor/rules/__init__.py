"""The rules backend's pieces: sentences, speed claims, hardware, datasets, task
and method. Each module is pure (text in, spans out) so it can be tested alone;
`extractor.rules.summary.extract_spans` puts them together."""
