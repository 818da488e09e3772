"""Benchmarks of newscrawl: parsing, crawling and the dedupe state (``python -m benchmarks``)."""
