"""newscrawl: a Scrapy crawler for the WORLD section of Caliber.az."""
