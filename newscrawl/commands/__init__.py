"""Project commands that replace Scrapy's own where the project needs more."""
