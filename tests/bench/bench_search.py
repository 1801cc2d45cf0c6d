"""Search over 1,000,000 items (issue 12): the item list and the editor's inbox with a query.

Data: the network of bench_review_lists (20 cities of 10 counties, a clerk and a director per county, an editor and
a director per city) and BENCH_ITEMS (1,000,000) items, 90% of them signed off and received by their city, as
there. Their texts are made from the vocabulary of the seed documents: place names with 区/县/镇/市/乡/街道, the
work and the disasters the speeches name, numbers (a tenth in full-width digits) and Latin (G60, 5G, G318), a title
and a body of five to eight sentences (~250 characters in all). BENCH_DISTINCT_TEXTS (49,999) different texts are
made and indexed by the application's own function (submissions.models.search_document_text), and the items take them in
turn; 49,999 is prime to the 200 counties, so every county has ~5,000 different texts.

Load: 20 concurrent clients against a real gunicorn (as the Procfile), each asking the pages of a list of queries
in turn: NARROW (places, numbers, two parts: at most 0.6% of the items each) or BROAD (disasters, work, the rules'
words, Latin: 6–30%). The item list: 10 county clerks (their county's ~5,000 items) and 10 city editors (the ~45,000
items that reached their office), by relevance as the list sorts a search. The inbox: the 20 city editors, the
rows rendered every time (kept rows would measure the cache, not the search). Each load has a gunicorn of its own.
The item list is measured both ways: rendered every time (the search's own cost), and as deployed, its rows kept in
Redis (infohub.listcache) — each client's searches asked once first, as a person pages back, refreshes or asks again;
that first pass (a search never asked before: rendered, then kept) is printed too.
Prints p50/p95/p99 and req/s, and for each query how many items it matches and what a county clerk's and a city
editor's list cost in this process (the ORM and Postgres, one client). The items' access keys (infohub.access) are
kept by `access.keep_keys` after the hops are written by SQL, as any writer that bypasses signals must.

BENCH_KEEP=1 keeps the data for the next run (which then starts at once). BENCH_SECONDS per load (wrk, 20).
"""

import os
import random
import time

from .bench_review_lists import build_network, load_network
from .common import ask_each_once, fresh_database, gunicorn, load, session_for

ITEMS = int(os.environ.get("BENCH_ITEMS", "1000000"))
DISTINCT = int(os.environ.get("BENCH_DISTINCT_TEXTS", "49999"))
CLIENTS = 20

# Place names: those of the seeds and the tests, and 384 more of two characters, each with six suffixes.
SEED_PLACES = ["东湖", "西湖", "临江", "石桥", "安居", "鹤山", "九江", "白沙", "青山", "城关", "新华", "红旗", "金山", "北塘"]
PLACES = SEED_PLACES + [a + b for a in "东西南北青白红金银石龙凤马黄清永太平长安新和兴福" for b in "湖江桥山沙河林溪坪泉塘岭源关口城"
                        if a + b not in SEED_PLACES]
SUFFIXES = ["区", "县", "镇", "市", "乡", "街道"]
WORK = ["推行网格化管理", "开展防汛应急演练", "召开信息工作会议", "落实紧急信息报送制度", "部署森林防火工作", "排查地质灾害隐患",
        "做好冰雪灾害防范应对", "推进基层治理取得新进展", "化解矛盾纠纷成效明显", "加强社情民意信息收集", "开展安全生产大检查",
        "建立基层信息直报点", "推进乡村振兴重点项目", "开展信息员业务培训", "落实迟报漏报责任追究", "整治农村人居环境",
        "推进老旧小区改造", "开展食品安全专项检查", "加强校园周边治安防控", "推动优化营商环境", "开展河湖“清四乱”行动",
        "落实耕地保护责任", "开展消防安全隐患排查", "推进医共体建设", "做好高校毕业生就业服务", "开展根治欠薪专项行动",
        "推进政务服务“一网通办”", "加强困难群众兜底保障", "开展扫黑除恶常态化斗争", "推进数字乡村建设", "做好秋粮收购工作",
        "加强重点项目调度", "开展文明城市创建", "推进垃圾分类", "开展禁毒宣传", "做好信访维稳工作", "推进土地承包经营权确权",
        "开展道路交通安全整治", "推进“互联网+监管”", "加强基层党组织建设"]
DISASTERS = ["特大暴雨", "强降雨", "冰雪灾害", "台风", "山洪", "森林火灾", "地震", "持续干旱", "冰雹", "大风", "寒潮",
             "山体滑坡", "泥石流", "高温", "龙卷风"]
IMPACTS = ["多处内涝", "发生山体滑坡", "道路结冰中断", "部分区域停电停水", "民房倒塌", "农作物受灾", "河道水位超警",
           "通信基站受损", "学校停课", "交通管制", "群众被困", "堤防出现险情", "供水管网破裂", "桥梁受损", "景区关闭"]
LATIN = ["G60", "5G", "G318", "K2100", "S20", "4G", "APP", "GDP", "PM2.5", "AI", "G15", "S38"]
SENTENCES = [
    "{place}{suffix}{work}，{n}名干部下沉一线，群众满意度明显提升。",
    "受{disaster}影响，{place}{suffix}{impact}，紧急转移群众{n}人。",
    "截至{h}时，{place}{suffix}已投入抢险人员{n}人次，{latin}沿线交通基本恢复。",
    "全{suffix}设立网格{n}个，配备专兼职网格员{m}名，实现{latin}信号全覆盖。",
    "下一步将按照政策性信息力求准、突发性信息力求快的要求，做好信息报送工作。",
    "{place}{suffix}委办公室对{m}条苗头性、倾向性信息进行跟踪反馈，及时报送市委。",
    "会议强调，要坚持喜忧兼报，不虚报瞒报漏报，事发后{h}小时内报送紧急信息。",
    "造成直接经济损失约{n}万元，死亡{d}人、受伤{d}人，{place}{suffix}党委主要负责同志赶赴现场。",
    "{place}{suffix}聚焦{work2}，建立健全工作机制，形成一批可复制可推广的经验做法。",
    "今年以来，{place}{suffix}累计{work2}{m}次，整改问题{n}个。",
    "{place}{suffix}将{work2}纳入年度目标考核，实行季度通报、年终考评。",
    "据气象部门预报，未来{h}小时{place}{suffix}仍有{disaster}天气，防汛形势严峻。",
    "{place}{suffix}应急管理局启动{level}级应急响应，调集救援队伍{m}支。",
    "部分群众反映{work2}进展较慢，希望加大投入力度。",
    "{place}{suffix}{n}户群众房屋受损，已安排临时安置点{m}处。",
    "{latin}项目完成投资{n}万元，占年度计划的{pct}%。",
    "该{suffix}信息员队伍{m}人，全年报送信息{n}条，被上级采用{d}条。",
    "{place}{suffix}纪委监委对{d}名履职不力的干部进行约谈。",
    "当前{place}{suffix}{impact}问题已基本解决，正在开展灾后重建。",
    "下一步，{place}{suffix}将持续{work2}，切实维护群众利益。",
    "{month}月{day}日{h}时许，{place}{suffix}{village}村发生{disaster}。",
    "经初步核查，事件未造成人员伤亡，具体原因正在调查。",
    "{place}{suffix}邀请{m}名人大代表、政协委员参与监督。",
    "据统计，全{suffix}{work2}覆盖率达到{pct}%，较去年同期提高{d}个百分点。",
    "社情民意调查显示，{pct}%的受访群众对{work2}表示满意。",
    "矛盾纠纷排查中发现涉稳隐患{d}起，均已落实稳控措施。",
]
LEVELS = ["Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "IV", "III"]

# What people search. Narrow: places, numbers, two parts (each in at most 0.6% of the items); broad: disasters,
# work and the rules' words, Latin (5–30% of the items, a fifth of them in a fifth of the texts).
NARROW = ["东湖区", "石桥镇", "临江市", "安居区", "白沙县", "鹤山市", "新华街道", "城关镇", "九江", "青山", "1200", "１２００",
          "临江 内涝", "东湖区 网格", "石桥镇 防汛"]
BROAD = ["特大暴雨", "强降雨", "山体滑坡", "冰雪灾害", "森林火灾", "台风", "内涝", "道路结冰", "网格化管理", "社情民意",
         "矛盾纠纷", "直报点", "迟报漏报", "防汛应急", "乡村振兴", "G60", "5G", "G318", "转移群众", "信息员"]
QUERIES = NARROW + BROAD

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def make_text(rng: random.Random) -> tuple[str, str, str]:
    place, suffix = rng.choice(PLACES), rng.choice(SUFFIXES)
    if rng.random() < 0.6:
        title = f"{place}{suffix}{rng.choice(WORK)}"
    else:
        title = f"受{rng.choice(DISASTERS)}影响，{place}{suffix}{rng.choice(IMPACTS)}"
    sentences = []
    for template in rng.sample(SENTENCES, rng.randint(5, 8)):
        sentences.append(template.format(
            place=place if rng.random() < 0.7 else rng.choice(PLACES), suffix=suffix, work=rng.choice(WORK),
            work2=rng.choice(WORK)[2:], disaster=rng.choice(DISASTERS), impact=rng.choice(IMPACTS),
            latin=rng.choice(LATIN), n=rng.randint(1, 3000), m=rng.randint(10, 500), h=rng.randint(1, 24),
            d=rng.randint(0, 9), pct=rng.randint(50, 99), level=rng.choice(LEVELS), month=rng.randint(1, 12),
            day=rng.randint(1, 28), village=rng.choice(PLACES)))
    body = "".join(sentences)
    if rng.random() < 0.1:
        body = body.translate(FULL_WIDTH)  # typed with an input method's full-width digits
    keywords = " ".join(rng.sample(["防汛", "网格", "应急", "信息报送", "基层治理", "灾害", "民生", "安全生产"], 2))
    return title, keywords, body


def fill_items(counties, people) -> tuple[float, float]:
    """ITEMS items taking DISTINCT texts in turn, each text indexed by the application's own function; returns
    (seconds indexing the texts, seconds writing the items)."""
    from django.db import connection

    from infohub import access
    from infohub.models import Role
    from submissions.models import Item, search_document_text

    rng = random.Random(2026)
    started = time.perf_counter()
    texts = [make_text(rng) for _ in range(DISTINCT)]
    documents = [search_document_text(*text) for text in texts]
    indexed = time.perf_counter() - started
    county_ids = [u.pk for u in counties]
    clerk_ids = [people[(u.pk, Role.CLERK)].pk for u in counties]
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("CREATE UNLOGGED TABLE bench_text (n int PRIMARY KEY, title text, keywords text, body text,"
                       " doc tsvector)")
        with cursor.cursor.copy("COPY bench_text (n, title, keywords, body, doc) FROM STDIN") as copy:
            for n, ((title, keywords, body), doc) in enumerate(zip(texts, documents, strict=True)):
                copy.write_row((n, title, keywords, body, doc))
        # One GIN build at the end instead of a million index updates, as the migration does.
        cursor.execute("DROP INDEX item_search_access")
        cursor.execute(
            """
            INSERT INTO submissions_item (title, body, category, urgency, classification, authors, contact_phone,
                keywords, status, revision, created_at, updated_at, submitted_at, return_reason, event_place,
                event_grade, event_type, losses, measures, report_kind, created_by_id, source_unit_id,
                search_document, access_keys)
            SELECT t.title, t.body,
                   (ARRAY['work_progress','experience','problem','public_opinion','policy'])[1 + g %% 5],
                   (ARRAY['normal','normal','normal','urgent','extra_urgent'])[1 + (g / 7) %% 5],
                   'internal', '', '0571-88886666', t.keywords,
                   CASE (g / 200) %% 20 WHEN 0 THEN 'pending_signoff' WHEN 1 THEN 'draft' ELSE 'signed_off' END,
                   1, now() - make_interval(secs => g * 30), now() - make_interval(secs => g * 30),
                   CASE WHEN (g / 200) %% 20 = 1 THEN NULL ELSE now() - make_interval(secs => g * 30 - 600) END,
                   '', '', '', '', '', '', '', (%s::bigint[])[1 + g %% %s], (%s::bigint[])[1 + g %% %s], t.doc,
                   ARRAY[-(%s::bigint[])[1 + g %% %s]]
            FROM generate_series(1, %s) AS g JOIN bench_text t ON t.n = g %% %s
            """,
            [clerk_ids, len(clerk_ids), county_ids, len(county_ids), county_ids, len(county_ids), ITEMS, DISTINCT],
        )
        cursor.execute(
            """
            INSERT INTO reviews_hop (item_id, office_id, level, sender_id, received_at, priority, status, adoption,
                reason, forward)
            SELECT i.id, u.parent_id, 'city', i.source_unit_id, i.submitted_at + interval '10 minutes',
                   CASE i.urgency WHEN 'extra_urgent' THEN 0 WHEN 'urgent' THEN 1 ELSE 2 END,
                   CASE WHEN (i.id / 200) % 20 = 2 THEN 'received' ELSE 'adopted' END,
                   CASE WHEN (i.id / 200) % 20 = 2 THEN '' ELSE 'full' END, '', ''
            FROM submissions_item i JOIN infohub_unit u ON u.id = i.source_unit_id
            WHERE i.status = 'signed_off'
            """
        )
        cursor.execute("DROP TABLE bench_text")
        # The hops were written by SQL, which sends no signal: the access keys are kept as a writer that bypasses
        # signals keeps them (infohub.access.keep_keys), a batch of items at a time.
        cursor.execute("SELECT min(id), max(id) FROM submissions_item")
        low, high = cursor.fetchone()
        for start in range(low, high + 1, 50_000):
            access.keep_keys(Item, range(start, min(start + 50_000, high + 1)))
        cursor.execute("SET maintenance_work_mem = '256MB'")
        cursor.execute("CREATE INDEX item_search_access ON submissions_item USING gin (search_document, access_keys)")
        cursor.execute("VACUUM ANALYZE")
    return indexed, time.perf_counter() - started


def query_report(clerk, editor) -> None:
    """Per query: items matched in the whole table, and a county clerk's and a city editor's list page by relevance
    (its count, up to 1,000, and first page) as the item list asks Postgres for it: the search and the access rule,
    then the latest 1,000 matches ranked (submissions.selectors.ranked_recent)."""
    from infohub import access
    from infohub.pagination import CappedPaginator
    from submissions import deadlines
    from submissions.models import Item
    from submissions.selectors import SEARCH_RANKED, item_search, ranked_recent
    from submissions.views import LIST_COLUMNS

    print("query: items matched | clerk's list: matched, ms | city editor's list: matched, ms (count and first page)")
    for query in QUERIES:
        everywhere = item_search(Item.objects.all(), query).count()
        figures = []
        for user in (clerk, editor):
            base = Item.objects.all()
            started = time.perf_counter()
            found = access.visible(user, item_search(base, query))
            rows = ranked_recent(base, found, query).annotate(racing_due=deadlines.racing_due()).values(*LIST_COLUMNS)
            paginator = CappedPaginator(rows, 25, cap=SEARCH_RANKED)
            paginator._seen = found.order_by()[:SEARCH_RANKED + 1].count()
            page = paginator.page(1)
            list(page)
            figures.append(f"{paginator.count_label}, {(time.perf_counter() - started) * 1000:.0f}")
        print(f"  {query}: {everywhere:,} ({everywhere / ITEMS:.2%}) | {figures[0]} | {figures[1]}")


def report(result) -> str:
    if result.requests:
        return result.report()
    return f"{result.label}: not one request answered within {result.seconds:.0f} s"


def main() -> None:
    from django.core.management import call_command
    from django.db import connection
    from django.utils.http import urlencode

    with fresh_database():
        from infohub.models import Role
        from reviews.models import Hop
        from submissions.models import Item

        if Item.objects.count() == ITEMS:  # kept from an earlier run with BENCH_KEEP=1
            cities, counties, people = load_network()
            print(f"data: {ITEMS:,} items kept from an earlier run")
        else:
            call_command("flush", interactive=False, verbosity=0)
            cities, counties, people = build_network()
            indexed, written = fill_items(counties, people)
            print(f"data: {Item.objects.count():,} items ({DISTINCT:,} texts indexed in {indexed:.0f} s), "
                  f"{Hop.objects.count():,} hops, written in {written:.0f} s")
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('submissions_item')),"
                           " pg_size_pretty(pg_relation_size('item_search_access')),"
                           " avg(pg_column_size(search_document))::int FROM submissions_item WHERE id % 1000 = 0")
            table, index, vector = cursor.fetchone()
        print(f"items table with its indexes and TOAST {table}, search index (words and access keys) {index}, a vector"
              f" ~{vector} bytes")
        if os.environ.get("BENCH_QUERY_REPORT", "1") == "1":
            query_report(people[(counties[0].pk, Role.CLERK)], people[(cities[0].pk, Role.EDITOR)])

        clerks = [session_for(people[(u.pk, Role.CLERK)]) for u in counties[::len(counties) // 10][:10]]
        editors = [session_for(people[(c.pk, Role.EDITOR)]) for c in cities]
        searchers = clerks + editors[:CLIENTS - len(clerks)]

        def paths(path, sessions, queries):
            return [[(f"{path}?{urlencode({'q': queries[(c * 7 + n) % len(queries)]})}" if queries else path, session)
                     for n in range(len(QUERIES))] for c, session in enumerate(sessions)]

        # (requests, label, LIST_CACHE_SECONDS: "0" renders every time, None keeps the rows as deployed)
        runs = [(paths("/reviews/inbox/", editors, QUERIES),
                 "inbox, narrow and broad queries (20 city editors, rows rendered every time)", "0")]
        for label, queries in (("narrow queries", NARROW), ("broad queries", BROAD), ("no query", None)):
            runs.append((paths("/items/", searchers, queries),
                         f"item list, {label} (20 clients: 10 clerks, 10 city editors), rendered every time", "0"))
        for label, queries in (("narrow queries", NARROW), ("broad queries", BROAD)):
            runs.append((paths("/items/", searchers, queries),
                         f"item list, {label}, rows kept (each search asked once before: a repeated search, a page"
                         " refreshed)", None))
        for requests, label, kept_seconds in runs:
            # A server of its own for each load: the requests a load leaves running would weigh on the next.
            with gunicorn(**({} if kept_seconds is None else {"LIST_CACHE_SECONDS": kept_seconds})) as port:
                if kept_seconds is not None:
                    load(port, [[(path, s)] for path, s in (p[0] for p in requests)], "warm-up")
                else:
                    ask_each_once(port, [[p[0]] for p in requests])  # starts the lists' versions, keeps nothing
                    distinct = [list(dict.fromkeys(p)) for p in requests]  # each search of each client once
                    print(f"  each search's first time (rendered and kept), 20 clients: "
                          f"{report(ask_each_once(port, distinct))}")
                print(report(load(port, requests, label)))
