"""Scrapy settings of the newscrawl project; every one can be overridden with ``-s NAME=value``."""

from newscrawl.items import FIELDS

BOT_NAME = "newscrawl"
SPIDER_MODULES = ["newscrawl.spiders"]
NEWSPIDER_MODULE = "newscrawl.spiders"
# Our `crawl` exits non-zero on bad arguments (one line) and on any close but "finished".
COMMANDS_MODULE = "newscrawl.commands"

# Where the dataset goes: one JSON article per line, appended run after run. Left at this value,
# another edition gets its own (edition ru: data/caliber_world_ru.jsonl, see dataset_path).
JSONL_PATH = "data/caliber_world.jsonl"
# The index of stored slugs (default: beside the dataset, JSONL_PATH + ".index").
JSONL_INDEX_PATH = None

# The site's URL scheme (newscrawl/site.py, docs/SITE.md); change here if the live site moves.
# The section's path and card label in the edition being crawled; empty: the edition's own
# (newscrawl/editions.py: /en/category/world and WORLD, /category/mir and МИР).
CALIBER_SECTION_PATH = ""
CALIBER_SECTION_LABEL = ""
# Page N >= 2 of the section, as a template: {section} is the section URL without its query,
# {page} the number, {base} the base URL; e.g. "{section}/page/{page}" for path paging.
CALIBER_PAGE_URL = "{section}?page={page}"
# Retired: a value for it stops the crawl with the CALIBER_PAGE_URL to use instead.
CALIBER_PAGE_PARAM = None
# A walk that reaches this many listing pages stops and fails as "listing_ceiling": a safety net
# far above the section's size (at 18 cards a page, 90,000 articles), never the normal end.
CALIBER_MAX_LISTING_PAGES = 5000
# Where an article link's path names its slug: a regular expression with a group named slug
# (empty: the crawled edition's own, see newscrawl/editions.py).
CALIBER_ARTICLE_PATH_RE = ""
# Selector overrides, name -> CSS, merged over the table in newscrawl/selectors.py: a dict here, or
# a JSON object (-s CALIBER_SELECTORS='{"HEADLINE": "h1.title"}'); python -m newscrawl.selectors
# prints the effective table.
CALIBER_SELECTORS: dict[str, str] = {}
# Paging stops after this many listing pages in a row show no section card.
CALIBER_EMPTY_PAGES_TO_STOP = 2
# Incremental runs stop after this many listing pages in a row held nothing new: the first page
# of stored articles plus one overlapping page, for a story pushed down by new posts (0: never).
CALIBER_STALE_PAGES_TO_STOP = 2
# An article page that failed (5xx, timeout, reset) is asked for again by the next runs, until
# this many runs have failed on it (then it is logged and counted as given up).
CALIBER_OWED_MAX_RUNS = 5

# The view-count history (newscrawl/views.py): one observation per line, the first when an
# article is written and one per revisit; empty: JSONL_PATH with .jsonl replaced by .views.jsonl.
VIEWS_PATH = None
# Ages after publication at which a stored article's page is read again for its view count
# (units s, m, h, d; empty: no revisits). Articles are tracked until the last one is read.
CALIBER_REVISIT_AGES = "1h,6h,1d,3d,7d"
# Revisits one run makes at most, oldest checkpoint first; the rest wait (0: no limit).
CALIBER_REVISIT_MAX = 100

# Politeness. The User-Agent names the project; NEWSCRAWL_CONTACT (an e-mail or URL of the
# operator) is added to it as "; contact: ..." when set: please set it for live runs.
NEWSCRAWL_CONTACT = ""
USER_AGENT = "newscrawl/0.1 (+https://github.com/newscrawl/newscrawl)"
ROBOTSTXT_OBEY = True
# A ceiling per host; AutoThrottle adapts below it to the server's latency.
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.25
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
# Development runs: -s HTTPCACHE_ENABLED=1 replays pages from .scrapy/httpcache instead of asking
# the site again (errors are never cached). RFC2616Policy makes conditional requests instead.
HTTPCACHE_ENABLED = False
HTTPCACHE_DIR = "httpcache"
HTTPCACHE_POLICY = "scrapy.extensions.httpcache.DummyPolicy"
HTTPCACHE_IGNORE_HTTP_CODES = [404, 408, 429, 500, 502, 503, 504, 522, 524]

# Resilience. Failed requests are retried (5xx, 408, 429, timeouts, resets) RETRY_TIMES times,
# then counted as caliber_world/errors/<listing|article>_<kind> and logged once by the spider
# (so Scrapy's own "Gave up retrying" line is kept at DEBUG).
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
RETRY_GIVE_UP_LOG_LEVEL = "DEBUG"
# A stalled response is given up after this many seconds, then asked again only
# CALIBER_TIMEOUT_RETRIES times (not RETRY_TIMES): a stalled host costs 30 s a request, not 90.
DOWNLOAD_TIMEOUT = 15
CALIBER_TIMEOUT_RETRIES = 1
# A page cut short is kept (what could be read, flagged "dataloss") instead of failing.
DOWNLOAD_FAIL_ON_DATALOSS = False
# Pages larger than this are refused (an article page is some 50 kB).
DOWNLOAD_MAXSIZE = 2 * 1024 * 1024
DOWNLOAD_WARNSIZE = 1024 * 1024
REDIRECT_MAX_TIMES = 5
# <meta http-equiv="refresh"> is judged by the spider (a reload is ignored, a refresh to another
# article followed once, anything else counted and owed), not followed blindly by Scrapy.
METAREFRESH_ENABLED = False

# Security: no request (or redirect) leaves the base_url's scheme, host and port; it runs before
# Scrapy's offsite filter and robots.txt, so another host is never even resolved.
# OffsiteRedirectMiddleware refuses a 3xx to another origin before RedirectMiddleware (600).
DOWNLOADER_MIDDLEWARES = {
    "newscrawl.middlewares.BaseHostOnlyMiddleware": 40,
    "newscrawl.middlewares.OffsiteRedirectMiddleware": 650,
    # USER_AGENT plus NEWSCRAWL_CONTACT, in place of Scrapy's own User-Agent middleware.
    "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware": None,
    "newscrawl.middlewares.ContactUserAgentMiddleware": 500,
    # Scrapy's retries, with timeouts asked again only CALIBER_TIMEOUT_RETRIES times.
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "newscrawl.downloads.RetryMiddleware": 550,
}

# Security. Nothing of the crawler listens on a port: Scrapy's Telnet console (its password is
# printed in every log, and Scrapyd serves the logs over HTTP) and its remote-control endpoint
# (which runs any Python code sent to it) are off.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
# HTTPS: the server must show a valid certificate for the crawled host (newscrawl/tls.py), checked
# against the system's CAs, or only those in CALIBER_TLS_CA_FILE (a PEM file) when it is set.
# CALIBER_TLS_VERIFY = False accepts any certificate (a mirror with a self-signed one).
CALIBER_TLS_VERIFY = True
CALIBER_TLS_CA_FILE = ""
DOWNLOAD_HANDLERS = {"https": "newscrawl.tls.HTTPSDownloadHandler"}

# Drift alarms (newscrawl/alarms.py), checked before a run may close as "finished"; they read the
# caliber_world/fields_filled/<field> counts of the RunReport extension (see EXTENSIONS below).
# When articles were requested, at least min(this, articles requested) must give an item.
CALIBER_MIN_ITEMS = 1
# headline, published_at, section, body: the share of parsed articles that must have each.
CALIBER_REQUIRED_COVERAGE = 0.5
# Other fields: the share of written items that must have each (0 = not checked).
CALIBER_FIELD_COVERAGE = {"author": 0.0, "views": 0.0, "cited_sources": 0.0}
# An article lacking at least this many of the four required fields is not written.
CALIBER_REFUSE_MISSING_REQUIRED = 2
# The raw HTML of up to CALIBER_FAILED_PAGES_MAX failing pages goes to <dir>/<run time>/;
# empty: a "failed-pages" folder beside JSONL_PATH.
CALIBER_FAILED_PAGES_DIR = ""
CALIBER_FAILED_PAGES_MAX = 5

# Scrapy 2.19 starts CONCURRENT_ITEMS tasks (default 100) for the output of every response;
# a response of ours gives at most one item (a listing page: 19 requests) and the pipelines do
# not wait on anything. Measured on 1,008 replica articles at 64 concurrent requests:
# 100 -> 2 took the crawl from 312 to ~400 articles/s at the same peak RSS (8 was as fast but
# held 18 MiB more). It changes nothing in how fast or how often the site is asked.
CONCURRENT_ITEMS = 2

ITEM_PIPELINES = {
    "newscrawl.pipelines.DedupePipeline": 100,
    "newscrawl.pipelines.JsonlWriterPipeline": 800,
    # After the dataset writer: the first view count of every article written.
    "newscrawl.revisits.ViewsHistoryPipeline": 900,
}

EXTENSIONS = {
    "newscrawl.extensions.RunReport": 500,
    "newscrawl.alarms.MarkupAlarm": 510,
    "newscrawl.extensions.Progress": 520,
}
# Seconds between progress lines (articles done / requested, listing pages, rate, time left);
# 0: none. They replace Scrapy's "Crawled N pages" lines (LogStats, off).
CALIBER_PROGRESS_INTERVAL = 60
LOGSTATS_INTERVAL = 0

# Scrapy's own feed exports (-o / -O) write the same keys in the same order.
FEED_EXPORT_ENCODING = "utf-8"
FEED_EXPORT_FIELDS = list(FIELDS)

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
LOG_LEVEL = "INFO"
