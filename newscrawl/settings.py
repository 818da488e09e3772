"""Scrapy settings of the newscrawl project; every one can be overridden with ``-s NAME=value``."""

from newscrawl.items import FIELDS

BOT_NAME = "newscrawl"
SPIDER_MODULES = ["newscrawl.spiders"]
NEWSPIDER_MODULE = "newscrawl.spiders"
# Our `crawl` exits non-zero on bad arguments (one line) and on any close but "finished".
COMMANDS_MODULE = "newscrawl.commands"

# Where the dataset goes: one JSON article per line, appended run after run.
JSONL_PATH = "data/caliber_world.jsonl"
# The index of stored slugs (default: beside the dataset, JSONL_PATH + ".index").
JSONL_INDEX_PATH = None

# The site's URL scheme (see newscrawl/site.py and SITE.md); change here if the live site moves.
CALIBER_SECTION_PATH = "/en/category/world"
CALIBER_SECTION_LABEL = "WORLD"
CALIBER_PAGE_PARAM = "page"
# Paging stops after this many listing pages in a row show no section card.
CALIBER_EMPTY_PAGES_TO_STOP = 2
# Incremental runs stop after this many listing pages in a row held nothing new: the first page
# of stored articles plus one overlapping page, for a story pushed down by new posts (0: never).
CALIBER_STALE_PAGES_TO_STOP = 2
# An article page that failed (5xx, timeout, reset) is asked for again by the next runs, until
# this many runs have failed on it (then it is logged and counted as given up).
CALIBER_PENDING_MAX_RUNS = 5

# Politeness
NEWSCRAWL_CONTACT = "set NEWSCRAWL_CONTACT to an address the site can reach you at"
USER_AGENT = "newscrawl/0.1 (+https://github.com/newscrawl/newscrawl)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.25
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0

ITEM_PIPELINES = {
    "newscrawl.pipelines.DedupePipeline": 100,
    "newscrawl.pipelines.JsonlWriterPipeline": 800,
}

EXTENSIONS = {
    "newscrawl.extensions.RunReport": 500,
}

# Scrapy's own feed exports (-o / -O) write the same keys in the same order.
FEED_EXPORT_ENCODING = "utf-8"
FEED_EXPORT_FIELDS = list(FIELDS)

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
LOG_LEVEL = "INFO"
