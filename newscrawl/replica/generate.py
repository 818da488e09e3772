"""Generate a replica of the section of any size, in the markup of the bundled pages.

Pure functions render an article page and a listing card; ``write_site`` writes a whole folder that
``DirectorySite`` serves, and ``publish`` adds newly published articles on top of an existing one
(the older cards move down, every listing page is rewritten). Everything is deterministic from a
seed. Each ``GeneratedArticle`` knows the item the crawler must make of its page
(``expected_item``), so a generated site can be checked like the bundled one.

>>> articles = make_articles(3, seed=1)
>>> [a.published for a in articles] == sorted((a.published for a in articles), reverse=True)
True
>>> page = render_article(articles[0], related=articles[1:])
>>> 15_000 < len(page.encode()) < 26_000
True
"""

from __future__ import annotations

import hashlib
import html
import json
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from newscrawl.replica.server import SITE_DIR
from newscrawl.site import SITE_TZ

LIVE = "https://caliber.az"
#: The file next to the pages that lists the section's cards, newest first (not served).
MANIFEST = "generated-site.json"
DEFAULT_NEWEST = datetime(2025, 11, 7, 11, 3, tzinfo=SITE_TZ)

# Page furniture (config script, header, sidebar, footer) taken from the bundled empty listing.
_EMPTY = (SITE_DIR / "en" / "category" / "world" / "empty.html").read_text(encoding="utf-8")
_CONFIG = re.search(r"<script>window\.__CONFIG__.*?</script>", _EMPTY, re.S)
_FURNITURE = re.search(r"<body[^>]*>\n(<header>.*?</header>)\n", _EMPTY, re.S)
_ASIDE = re.search(
    r"( <aside class=\"sidebar\">.*?</aside>\n</div>\n<footer>.*?</html>\n)", _EMPTY, re.S
)
if _CONFIG is None or _FURNITURE is None or _ASIDE is None:  # pragma: no cover
    raise RuntimeError("the bundled empty.html no longer has the expected furniture")
CONFIG_SCRIPT = _CONFIG.group(0)
HEADER = _FURNITURE.group(1)
SIDEBAR_AND_FOOTER = _ASIDE.group(1)


# Words the text is made of (one string per list, split on "|", to keep the file short).
def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split("|"))


_MONTHS = _words(
    "January|February|March|April|May|June|July|August|September|October|November|December"
)


_PLACES = _words(
    "Finland|Japan|Chile|Germany|Brazil|India|Iran|Kyrgyzstan|Türkiye|France|Poland|Canada|"
    "Mexico|Egypt|Kenya|Indonesia|Vietnam|Spain|Italy|Norway|Australia|South Korea|"
    "Argentina|Nigeria|Pakistan|Georgia|Kazakhstan|Uzbekistan|Sudan|Ukraine|the EU|the UN|"
    "NATO|the US|China"
)
_ACTIONS = _words(
    "keeps|reopens|tightens|extends|announces|rejects|approves|weighs|expands|suspends|"
    "reviews|launches|delays|backs|criticises|signs"
)
_OBJECTS = _words(
    "eastern border controls|new military service model|freight crossings|fuel subsidies|"
    "climate finance pledges|shadow fleet inspections|grain export deal|water rationing|"
    "budget for 2026|power grid upgrade|rail corridor plan|visa rules for students|"
    "emergency aid package|tariffs on steel imports|ceasefire proposal|digital tax|"
    "drought relief measures|housing programme|port expansion|vaccine campaign"
)
_CLAUSES = _words(
    "as winter approaches|after talks in Geneva|amid protests|ahead of elections|"
    "as prices climb|despite objections|after record floods|as talks stall||||"
)
_SUBJECTS = _words(
    "The government|Officials|The ministry|Analysts|Diplomats|Local authorities|"
    "The central bank|Opposition leaders|Aid agencies|Industry groups|Residents|"
    "The prime minister|A spokesperson for the president|Regional governors|Economists"
)
_VERBS = _words(
    "said on Thursday that|warned that|expect that|told reporters that|insisted that|"
    "noted that|have argued for months that|confirmed that|acknowledged that|"
    "say privately that"
)
_FINDINGS = _words(
    "the measures would remain in place until at least the end of the year|"
    "the decision had been taken after weeks of consultations with neighbouring countries|"
    "costs had risen sharply since the spring and would weigh on growth|"
    "the number of people affected had more than doubled in the past month|"
    "further talks were planned for next week in the capital|"
    "the country’s reserves would cover the shortfall “for the time being”|"
    "the region’s largest employers had already cut shifts|"
    "the plan would be financed partly through international loans and partly from the budget|"
    "a final agreement was still some way off, although both sides reported progress|"
    "security forces had been placed on alert in several border districts|"
    "the shortfall in funding threatened programmes that millions of people depend on|"
    "new figures would be published at the start of next month|"
    "the previous arrangement had expired without a replacement being agreed|"
    "the vote in parliament was expected to be close"
)
_TAILS = _words(
    "|| The details have not been made public.| Critics called the move premature.|"
    " Markets reacted calmly to the news.| The opposition has promised to challenge it.|"
    " Similar steps were taken in 2022.| “We will not back down,” one official said.|"
    " Turnout at the meetings was lower than expected."
)
OUTLETS = _words(
    "Reuters|AFP|Bloomberg|The Wall Street Journal|Financial Times|Al Jazeera|"
    "Deutsche Welle|Politico|Kyodo News|The Hindu|the Associated Press|Iran International|"
    "Anadolu|The Guardian|Le Monde"
)
_SOURCE_TAGS = {
    "Reuters": "Reuters",
    "AFP": "AFP",
    "Bloomberg": "Bloomberg",
    "The Wall Street Journal": "WSJ",
    "Financial Times": "FT",
    "Politico": "Politico",
}
AUTHORS = _words(
    "Aghakazim Guliyev|Leyla Mammadova|Sabina Mammadli|Nigar Hasanova|Vugar Khalilov|"
    "Ramin Aliyev|Tural Ismayilov|Aysel Rzayeva|Elnur Mammadov|Jamila Huseynova"
)
_RELATED = 6
_OTHER_SECTION_CARD_AT = 5


def format_site_time(value: datetime) -> str:
    """A time as the site prints it.

    >>> format_site_time(DEFAULT_NEWEST)
    '07 November 2025 11:03'
    """
    return f"{value.day:02d} {_MONTHS[value.month - 1]} {value.year} {value:%H:%M}"


def slugify(text: str) -> str:
    """The site's slug for a headline: lowercase ASCII words joined by ``-``.

    >>> slugify("Türkiye & Iraq review progress on \\"Development Road\\"")
    't-rkiye-iraq-review-progress-on-development-road'
    """
    return "-".join(re.findall(r"[a-z0-9]+", text.lower()))


@dataclass(frozen=True)
class GeneratedArticle:
    """One generated article: what its page shows, and so what the crawler must make of it."""

    slug: str
    headline: str
    published: datetime
    paragraphs: tuple[str, ...]
    author: str | None = None
    byline_form: str = "{}"
    cited_sources: tuple[str, ...] = ()
    views: int | None = None
    views_form: str = "{}"
    cover: str | None = None
    cover_form: str = "url({})"
    extras: tuple[str, ...] = field(default=())  # "ads", "tweet", "image", "nbsp", "trap"

    def expected_item(self, base_url: str = LIVE) -> dict[str, Any]:
        """The dataset record for this article crawled from ``base_url``, less ``crawled_at``."""
        return {
            "url": f"{base_url}/en/post/{self.slug}",
            "slug": self.slug,
            "language": "en",
            "section": "World",
            "headline": self.headline,
            "published_at": self.published.isoformat(),
            "author": self.author,
            "cited_sources": list(self.cited_sources),
            "views": self.views,
            "body": "\n\n".join(self.paragraphs),
            "image_url": self.cover,
        }

    def card(self) -> dict[str, str | None]:
        """What a listing card shows of the article (kept in the site's manifest)."""
        return {
            "slug": self.slug,
            "headline": self.headline,
            "time": format_site_time(self.published),
            "image": self.cover,
        }


def _join(names: Sequence[str]) -> str:
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def _sentence(rng: random.Random) -> str:
    return (
        f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_FINDINGS)}.{rng.choice(_TAILS)}"
    )


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(2, 4)))


def make_article(rng: random.Random, published: datetime, taken: set[str]) -> GeneratedArticle:
    """One article drawn from ``rng``, with a slug not in ``taken`` (which it is added to)."""
    place, action, obj, clause = (rng.choice(x) for x in (_PLACES, _ACTIONS, _OBJECTS, _CLAUSES))
    headline = f"{place[0].upper()}{place[1:]} {action} {obj}" + (f" {clause}" if clause else "")
    cited: tuple[str, ...] = ()
    roll = rng.random()
    if roll < 0.45:
        cited = (rng.choice(OUTLETS),)
    elif roll < 0.55:
        cited = tuple(rng.sample(OUTLETS, 2))
    elif roll < 0.60:
        cited = tuple(rng.sample(OUTLETS, 3))
    if cited and rng.random() < 0.5:
        headline = f"{_SOURCE_TAGS.get(cited[0], 'Media')}: {headline}"
    if rng.random() < 0.1:
        headline = headline.replace(" and ", " & ", 1) + ' - "update"'
    base = slugify(headline)
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    taken.add(slug)
    paragraphs = [_paragraph(rng) for _ in range(rng.randint(11, 22))]
    if cited:
        first = paragraphs[0].rstrip(".")
        paragraphs[0] = f"{first}, Caliber.Az reports, citing {_join(cited)}."
    extras = tuple(
        name
        for name, chance in (("ads", 0.4), ("tweet", 0.1), ("image", 0.2), ("nbsp", 0.2))
        if rng.random() < chance
    )
    author = rng.choice(AUTHORS) if rng.random() < 0.3 else None
    if author is None and rng.random() < 0.1:
        # A last paragraph that starts with "By" but is no byline.
        paragraphs.append("By Wednesday afternoon the talks had ended without a joint statement.")
    views_roll = rng.random()
    views: int | None = None
    views_form = "{}"
    if views_roll < 0.85:
        views = rng.choice(
            (rng.randint(50, 999), rng.randint(1000, 9999), rng.randint(10**4, 10**5))
        )
        views_form = rng.choice(("{}", "{}", "{:,}", "{: }", "{:nbsp}"))
    cover = None
    if rng.random() < 0.9:
        digest = hashlib.md5(slug.encode(), usedforsecurity=False).hexdigest()[:12]
        cover = f"{LIVE}/media/photos/original/{digest}.webp"
    return GeneratedArticle(
        slug=slug,
        headline=headline,
        published=published,
        paragraphs=tuple(paragraphs),
        author=author,
        byline_form=rng.choice(("By {}", "<strong>By {}</strong>", "<em>By {}</em>")),
        cited_sources=cited,
        views=views,
        views_form=views_form,
        cover=cover,
        cover_form=rng.choice(("url({})", "url({})", "url('{}')")),
        extras=extras,
    )


def make_articles(
    count: int,
    *,
    seed: int = 0,
    newest: datetime = DEFAULT_NEWEST,
    taken: Iterable[str] = (),
) -> list[GeneratedArticle]:
    """``count`` articles, newest first, the first published at ``newest``; slugs avoid ``taken``.

    >>> a = make_articles(2, seed=7)
    >>> a == make_articles(2, seed=7), a[0].slug != a[1].slug, a[0].published > a[1].published
    (True, True, True)
    """
    rng = random.Random(seed)
    used = set(taken)
    articles = []
    published = newest
    for _ in range(count):
        articles.append(make_article(rng, published, used))
        published -= timedelta(minutes=rng.randint(3, 95))
    return articles


def _views_text(article: GeneratedArticle) -> str:
    if article.views_form == "{:nbsp}":
        return f"{article.views:,}".replace(",", "&nbsp;")
    if article.views_form == "{: }":
        return f"{article.views:,}".replace(",", " ")
    return article.views_form.format(article.views)


def _paragraph_html(text: str, index: int) -> str:
    escaped = html.escape(text, quote=False)
    if index % 3 == 1:  # some inline markup, as the site's editors use it
        first, _, rest = escaped.partition(" ")
        escaped = f"<strong>{first}</strong> {rest}" if rest else escaped
    elif index % 5 == 2:
        words = escaped.split(" ")
        if len(words) > 6:
            words[3] = f'<a href="https://example.org/report" target="_blank">{words[3]}</a>'
            escaped = " ".join(words)
    return f"<p>{escaped}</p>"


_TWEET = (
    '<blockquote class="twitter-tweet"><p lang="en" dir="ltr">Talks continue tonight. '
    '<a href="https://t.co/Qm7ZpL2xVd">https://t.co/Qm7ZpL2xVd</a></p>&mdash; World Desk '
    '(@worlddesk) <a href="https://twitter.com/worlddesk/status/1986471239058432061">'
    "November 6, 2025</a></blockquote> "
    '<script async src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>'
)
_INLINE_AD = (
    '<div class="ads"><span class="ads_label">ads</span><ins class="adsbygoogle" '
    'style="display:block; text-align:center;" data-ad-layout="in-article" '
    'data-ad-format="fluid" data-ad-client="ca-pub-0000000000000000" '
    'data-ad-slot="4567890123"></ins><script>(adsbygoogle=window.adsbygoogle||[]).push({});'
    "</script></div>"
)


def render_card(article: GeneratedArticle | dict[str, Any], *, label: str = "WORLD") -> str:
    """The listing card of an article, in the live site's markup.

    Link forms vary with the slug (absolute, relative, tracking query, trailing slash), as on
    the site; they all name the same article.
    """
    card = article.card() if isinstance(article, GeneratedArticle) else article
    slug = str(card["slug"])
    form = int(hashlib.md5(slug.encode(), usedforsecurity=False).hexdigest()[:2], 16) % 4
    href = (
        f"{LIVE}/en/post/{slug}",
        f"/en/post/{slug}",
        f"{LIVE}/en/post/{slug}?utm_source=telegram&amp;utm_medium=social",
        f"/en/post/{slug}/",
    )[form]
    image = card["image"] or f"{LIVE}/templates/Default/images/no_photo.webp"
    image = str(image).replace("/original/", "/normal/")
    section = label.lower()
    return (
        '<div class="float_block">\n'
        f'  <a href="{href}"><div class="float_block_image_block"><div class="float_block_image" '
        f'style="background-image:url({image})"></div></div></a>\n'
        f'  <a href="{href}"><h2 class="float_block_title">{html.escape(str(card["headline"]))}'
        "</h2></a>\n"
        f'  <div class="float_block_bottom"><a href="{LIVE}/en/category/{section}">'
        f'<div class="float_block_category">{label}</div></a>'
        f'<div class="float_block_time">{card["time"]}</div></div>\n'
        "</div>\n"
    )


def render_article(article: GeneratedArticle, related: Sequence[GeneratedArticle] = ()) -> str:
    """The article's whole page, in the markup of the bundled pages (``related``: its sidebar)."""
    title = html.escape(article.headline)
    description = html.escape(article.paragraphs[0])
    body = [_paragraph_html(text, i) for i, text in enumerate(article.paragraphs)]
    if "ads" in article.extras and len(body) > 3:
        body.insert(2, _INLINE_AD)
    if "tweet" in article.extras and len(body) > 4:
        body.insert(4, _TWEET)
    if "image" in article.extras:
        body.insert(
            1,
            f'<p><img src="{LIVE}/media/photos/original/9b8d2e4f61a0.webp" alt="" '
            'style="width: 100%;"></p>',
        )
    if "nbsp" in article.extras:
        body.insert(len(body) - 1, "<p>&nbsp;</p>")
    if article.author is not None:
        body.append(f"<p>{article.byline_form.format(article.author)}</p>")
    cover = ""
    if article.cover is not None:
        style = f"background-image:{article.cover_form.format(article.cover)}"
        cover = f'  <div class="post_cover" style="{style}"></div>\n'
    hits = ""
    if article.views is not None:
        hits = f'  <div class="post_hits">Views: {_views_text(article)}</div>\n'
    cards = "".join(render_card(other) for other in related[:_RELATED])
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title} | Caliber.Az</title>\n"
        f'<meta name="description" content="{description}">\n'
        f'<meta property="og:title" content="{title}">\n'
        '<meta property="og:type" content="article">\n'
        f'<meta property="og:url" content="{LIVE}/en/post/{article.slug}">\n'
        f'<link rel="stylesheet" href="{LIVE}/templates/Default/css/app.css?v=93">\n'
        f"{CONFIG_SCRIPT}\n</head>\n"
        f'<body class="night_theme_off">\n{HEADER}\n'
        '<div class="container">\n <div class="main_content">\n<div class="post">\n'
        f'  <a href="{LIVE}/en/category/world"><div class="post_categoty">WORLD</div></a>\n'
        '  <div class="font_size"><span class="plus">A+</span><span class="minus">A-</span></div>\n'
        f'  <h1 class="post_title">{title}</h1>\n'
        f'  <div class="post_time">{format_site_time(article.published)}</div>\n'
        f"{cover}"
        '  <div class="post_body">\n' + "\n".join(body) + "\n  </div>\n"
        '  <div class="post_signature">Caliber.Az</div>\n'
        f"{hits}"
        '  <div class="share"><span class="share-line">Liked the story? Share it on social '
        'media!</span>\n   <a href="#" class="print">print</a><a href="#" class="copy">copy '
        'link</a><span class="copied">Ссылка скопирована</span></div>\n'
        '  <div class="ads"><ins class="adsbygoogle" data-ad-slot="123"></ins><script>'
        "(adsbygoogle=window.adsbygoogle||[]).push({});</script></div>\n </div>\n"
        ' <div class="related"><div class="related_head">WORLD</div><div class="related_sub">'
        'The most important world news</div>\n  <div class="float_blocks">'
        f'{cards}</div><div class="loading">loading</div></div>\n </div>\n'
        f"{SIDEBAR_AND_FOOTER}"
    )


def render_listing(cards: Sequence[dict[str, Any]], page: int) -> str:
    """Listing page ``page`` of the section holding ``cards`` (plus a card of another section)."""
    blocks = [render_card(card) for card in cards]
    if len(blocks) > _OTHER_SECTION_CARD_AT:
        other = {
            "slug": f"politics-briefing-page-{page}",
            "headline": "Parliament holds hearing on regional development",
            "time": cards[_OTHER_SECTION_CARD_AT]["time"],
            "image": None,
        }
        blocks.insert(_OTHER_SECTION_CARD_AT, render_card(other, label="POLITICS"))
    head, _, _ = _EMPTY.partition(' <div class="float_blocks category_blocks">')
    head = head.replace("${page}", str(page))
    return (
        f'{head} <div class="float_blocks category_blocks">\n{"".join(blocks)} </div>\n'
        f' <div class="loading">loading</div>\n </div>\n{SIDEBAR_AND_FOOTER}'
    )


def _related(articles: Sequence[GeneratedArticle], index: int) -> list[GeneratedArticle]:
    """The articles an article page's related block shows: the next older ones."""
    return list(articles[index + 1 : index + 1 + _RELATED] or articles[:index][:_RELATED])


def _write_listings(root: Path, cards: Sequence[dict[str, Any]], per_page: int) -> None:
    section = root / "en" / "category" / "world"
    section.mkdir(parents=True, exist_ok=True)
    for number, start in enumerate(range(0, len(cards), per_page), 1):
        page = render_listing(cards[start : start + per_page], number)
        (section / f"page-{number}.html").write_text(page, encoding="utf-8")
    (section / "empty.html").write_text(_EMPTY, encoding="utf-8")
    manifest = {"per_page": per_page, "cards": list(cards)}
    (root / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")


def _write_articles(root: Path, articles: Sequence[GeneratedArticle]) -> None:
    posts = root / "en" / "post"
    posts.mkdir(parents=True, exist_ok=True)
    for index, article in enumerate(articles):
        page = render_article(article, _related(articles, index))
        (posts / f"{article.slug}.html").write_text(page, encoding="utf-8")


def write_site(root: Path | str, articles: Sequence[GeneratedArticle], per_page: int = 18) -> Path:
    """Write a whole site for ``DirectorySite`` into ``root``: ``articles`` newest first.

    Listing pages ``en/category/world/page-N.html`` of ``per_page`` section cards each,
    ``empty.html`` for the pages past the end, one ``en/post/<slug>.html`` per article,
    ``robots.txt``, and a manifest of the cards that ``publish`` reads. Returns ``root``.
    """
    root = Path(root)
    if per_page < 1:
        raise ValueError("per_page must be at least 1")
    if len({a.slug for a in articles}) != len(articles):
        raise ValueError("two articles have the same slug")
    root.mkdir(parents=True, exist_ok=True)
    (root / "robots.txt").write_bytes((SITE_DIR / "robots.txt").read_bytes())
    _write_articles(root, articles)
    _write_listings(root, [a.card() for a in articles], per_page)
    return root


def published_slugs(root: Path | str) -> list[str]:
    """The slugs a generated site lists, newest first."""
    manifest = json.loads((Path(root) / MANIFEST).read_text(encoding="utf-8"))
    return [card["slug"] for card in manifest["cards"]]


def publish(root: Path | str, articles: Sequence[GeneratedArticle]) -> None:
    """Publish ``articles`` (newest first) on a site ``write_site`` made: their pages are
    written, their cards go on top of page 1 and every older card moves down, as on the live
    site; the listing pages are rewritten. A slug the site already lists is a ``ValueError``.
    """
    root = Path(root)
    manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    cards: list[dict[str, Any]] = manifest["cards"]
    known = {card["slug"] for card in cards}
    new = [a.slug for a in articles]
    if len(set(new)) != len(new) or known.intersection(new):
        raise ValueError("a published article's slug is already on the site")
    _write_articles(root, articles)
    _write_listings(root, [a.card() for a in articles] + cards, int(manifest["per_page"]))


def article_record(article: GeneratedArticle) -> dict[str, Any]:
    """The article as plain JSON data (for fixtures and debugging)."""
    record = asdict(article)
    record["published"] = article.published.isoformat()
    return record
