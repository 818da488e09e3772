"""newscrawl: a Scrapy crawler for the WORLD section of Caliber.az."""

#: Prefix of every stat the project counts (``caliber_world/...``).
STATS = "caliber_world"
