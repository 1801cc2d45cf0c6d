"""Search finds every word that is in the text, whatever the segmenter makes of the sentence (SPEC §3, issue 12).

The pairs are made from the vocabulary of the seed documents (speeches on information work: place names with
their 区/县/镇/市 suffixes, disasters, the words of the reporting rules, numbers, mixed Latin and full-width
digits). jieba cuts 东湖区委 as 东湖/区委 and 特大暴雨 as 特/大暴雨 in one sentence and differently in another; a
search of words had to find every piece of the query's cut in the text's cut, and missed these.
Against the real Postgres: the query is run by Postgres on the vector save() stored.
"""

import importlib
import unicodedata

import pytest
from django.apps import apps
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from reviews import services as reviews
from reviews.selectors import inbox_for
from submissions import services
from submissions.models import Item
from submissions.selectors import item_search, items_visible_to
from tests.factories import ItemFactory

pytestmark = pytest.mark.django_db

# (text, query): the query occurs literally in the text (up to full-width/half-width and case).
FOUND = [
    ("东湖区委办公室推行网格化管理", "东湖区"),
    ("东湖区委办公室推行网格化管理", "区委办公室"),
    ("东湖区委办公室推行网格化管理", "网格化管理"),
    ("东湖区委办公室推行网格化管理", "网格"),
    ("受特大暴雨影响，临江市区多处内涝", "特大暴雨"),
    ("受特大暴雨影响，临江市区多处内涝", "临江市"),
    ("受特大暴雨影响，临江市区多处内涝", "市区多处"),
    ("受特大暴雨影响，临江市区多处内涝", "临江 内涝"),
    ("受特大暴雨影响，临江市区多处内涝", "影响，临江"),
    ("安居区在几次重大事情发生后信息都报得比较及时", "安居区"),
    ("安居区在几次重大事情发生后信息都报得比较及时", "居区在"),
    ("安居区在几次重大事情发生后信息都报得比较及时", "报得比较及时"),
    ("希望大家要为建设鹤山奉献更多的智慧和热情", "鹤山"),
    ("今年全市冰雪灾害期间，信息处加大了灾害信息的报送力度", "冰雪灾害"),
    ("今年全市冰雪灾害期间，信息处加大了灾害信息的报送力度", "灾害信息"),
    ("今年全市冰雪灾害期间，信息处加大了灾害信息的报送力度", "信息处"),
    ("清明前正是森林火险的高危高发期", "森林火险"),
    ("清明前正是森林火险的高危高发期", "高危高发"),
    ("11·26九江地震灾害赈灾黑洞", "九江地震"),
    ("11·26九江地震灾害赈灾黑洞", "11·26"),
    ("虚报受灾人口、截留赈灾款相等乱相相当普遍", "受灾人口"),
    ("虚报受灾人口、截留赈灾款相等乱相相当普遍", "截留赈灾款"),
    ("紧急信息中央要求在6个小时内要上报", "6个小时"),
    ("我市要求在事件发生后2小时内上报", "2小时内"),
    ("我们市委办公室是24小时值班", "24小时"),
    ("全年共编发系统内各类工作信息500余条", "500余条"),
    ("市县上报省工作信息180余条", "180"),
    ("G60科创走廊建设加快推进", "G60"),
    ("G60科创走廊建设加快推进", "g60科创走廊"),
    ("G60科创走廊建设加快推进", "科创走廊"),
    ("全县开通5G基站1200个", "5G"),
    ("全县开通5G基站1200个", "１２００"),
    ("全县开通５Ｇ基站１２００个", "1200"),
    ("全县开通５Ｇ基站１２００个", "5g基站"),
    ("石桥镇开展防汛应急演练", "石桥镇"),
    ("石桥镇开展防汛应急演练", "防汛应急"),
    ("石桥镇开展防汛应急演练", "镇开展"),
    ("城关镇党委书记带队排查地质灾害隐患点", "城关镇"),
    ("城关镇党委书记带队排查地质灾害隐患点", "地质灾害隐患"),
    ("白沙县发生山体滑坡，造成3人失联", "白沙县"),
    ("白沙县发生山体滑坡，造成3人失联", "山体滑坡"),
    ("白沙县发生山体滑坡，造成3人失联", "3人失联"),
    ("中央办公厅下发了《关于报送紧急信息的通知》", "报送紧急信息"),
    ("对迟报、漏报、瞒报重大信息的部门和单位要加大通报批评力度", "瞒报"),
    ("对迟报、漏报、瞒报重大信息的部门和单位要加大通报批评力度", "迟报"),
    ("对迟报、漏报、瞒报重大信息的部门和单位要加大通报批评力度", "通报批评"),
    ("注意报送事关群众、事关全局的苗头性、倾向性信息", "苗头性"),
    ("注意报送事关群众、事关全局的苗头性、倾向性信息", "倾向性信息"),
    ("广泛收集报送重要社情民意和社会动态", "社情民意"),
    ("贯彻落实三个代表重要思想和科学发展观", "科学发展观"),
    ("贯彻落实三个代表重要思想和科学发展观", "三个代表"),
    ("政策性信息力求准、突发性信息力求快", "突发性信息"),
    ("建立健全基层信息直报点制度", "直报点"),
    ("建立健全基层信息直报点制度", "基层信息直报"),
    ("新华街道办事处开展矛盾纠纷排查化解", "新华街道"),
    ("新华街道办事处开展矛盾纠纷排查化解", "矛盾纠纷"),
    ("重点抓好《九江信息（汇要）》（每周２３期）", "23期"),
    ("重点抓好《九江信息（汇要）》（每周２３期）", "九江信息"),
    ("一般的信息二三百字就可以了", "二三百字"),
    ("在全面建设长江流域和中部地区经济中心城市中发挥更大的作用", "长江流域"),
    ("在全面建设长江流域和中部地区经济中心城市中发挥更大的作用", "中部地区"),
    ("黄大明副秘书长每次谈及办公室工作时", "黄大明"),
    ("市委副书记、市长王萍在省开会期间", "市长王萍"),
    ("青山县委办公室", "县"),
    ("青山县委办公室", "山"),
    ("开展COVID-19疫苗接种", "covid-19"),
    ("开展COVID-19疫苗接种", "COVID"),
    ("西湖区委办公室推行\u200b网格化管理", "推行网格化"),
    ("今年5月份有一次突发事件，事情发生在下午4点多钟", "5月份"),
    ("今年5月份有一次突发事件，事情发生在下午4点多钟", "下午4点"),
    ("国道G318线K2100处发生塌方", "G318线"),
    ("国道G318线K2100处发生塌方", "K2100处"),
    ("受台风“海葵”影响，沿海乡镇紧急转移群众1.2万人", "1.2万人"),
    ("受台风“海葵”影响，沿海乡镇紧急转移群众1.2万人", "沿海乡镇"),
    ("红旗乡政府组织干部下沉一线", "红旗乡"),
    ("九江市委办公厅信息处编发《今日信息汇要》", "九江市"),
    ("鹤山市委召开信息工作会议", "鹤山市"),
    ("安居区委书记带队检查防汛工作", "安居区"),
    ("白沙县委常委会研究部署森林防火工作", "白沙县"),
    ("金山镇镇长现场指挥抢险", "金山镇"),
    ("有些地方连续发生了多起火灾", "起火"),
    ("紧急信息中央要求在6个小时内要上报", "小时内"),
    ("暴雨导致东湖区城区内涝严重", "区城区"),
    ("造成直接经济损失约３２００万元", "3200万"),
    ("东湖区委办公室推行网格化管理", "化管理"),
    ("东湖区委办公室推行网格化管理", "湖区委"),
    ("安居区在几次重大事情发生后信息都报得比较及时", "信息都报"),
    ("砍头斩尾紧肚皮，不用面面俱到，要一事一报", "斩尾"),
    ("G318国道K2100处发生塌方", "国道K2100"),
    ("启动防汛Ⅳ级应急响应", "IV级"),
    ("启动防汛IV级应急响应", "Ⅳ级"),
    ("死亡２人、受伤１５人、失踪３人", "失踪3人"),
    ("死亡2人、受伤15人、失踪3人", "受伤15人"),
]

# (text, query): the query does not occur in the text, though its characters or its words may.
NOT_FOUND = [
    ("东湖区委办公室推行网格化管理", "西湖区"),
    ("东湖公园游客增多，湖区水位上涨", "东湖区"),
    ("受特大暴雨影响，临江市区多处内涝", "特大暴风"),
    ("受特大暴雨影响，临江市区多处内涝", "市区多处内涝严重"),
    ("受特大暴雨影响，临江市区多处内涝", "影响临江"),
    ("受特大暴雨影响，临江市区多处内涝", "临江 火灾"),
    ("受特大暴雨影响，临江市区多处内涝", "涝内"),
    ("全县开通5G基站1200个", "12000"),
    ("G60科创走廊建设加快推进", "G600"),
    ("石桥镇开展防汛应急演练", "石桥县"),
    ("安居区在几次重大事情发生后信息都报得比较及时", "安居乐业"),
    ("对迟报、漏报、瞒报重大信息的部门和单位要加大通报批评力度", "迟漏"),
    ("清明前正是森林火险的高危高发期", "森林防火"),
    ("11·26九江地震灾害赈灾黑洞", "九江市"),
]


@pytest.mark.parametrize("field", ["title", "body"])
@pytest.mark.parametrize("text, query", FOUND)
def test_a_query_that_is_in_the_text_finds_it(text, query, field):
    # given
    item = ItemFactory(**{field: text})
    # when
    found = list(item_search(Item.objects.all(), query))
    # then
    assert found == [item]


@pytest.mark.parametrize("text, query", NOT_FOUND)
def test_a_query_that_is_not_in_the_text_does_not_find_it(text, query):
    ItemFactory(title="某县信息", body=text)
    assert list(item_search(Item.objects.all(), query)) == []


def test_the_test_set_is_what_it_says():
    def fold(text):
        return unicodedata.normalize("NFKC", text).replace("\u200b", "").lower()

    assert len(FOUND) >= 60
    assert all(all(part in fold(text) for part in fold(query).split()) for text, query in FOUND)
    assert not any(fold(query) in fold(text) for text, query in NOT_FOUND)


def test_numbers_and_latin_words_match_whole():
    # Letters and digits are whole tokens, as a person reads them: 120 is not 1200, G6 is not G60.
    item = ItemFactory(title="全县开通5G基站1200个", body="G60科创走廊")
    assert list(item_search(Item.objects.all(), "1200")) == [item]
    assert list(item_search(Item.objects.all(), "120")) == []
    assert list(item_search(Item.objects.all(), "G6")) == []


def test_keywords_are_searched_and_title_and_body_do_not_run_into_each_other():
    item = ItemFactory(title="城区遭遇特大暴雨", keywords="防汛 抗旱", body="影响交通出行")
    assert list(item_search(Item.objects.all(), "抗旱")) == [item]
    assert list(item_search(Item.objects.all(), "暴雨影响")) == []


def test_a_query_without_letters_or_digits_searches_nothing():
    item = ItemFactory()
    assert list(item_search(Item.objects.all(), " ，。")) == [item]


def test_search_follows_edits(network, good_item_data):
    item = services.item_create(actor=network.clerk, unit=network.county, data=good_item_data)
    services.item_update(actor=network.clerk, item=item, data={"body": "东湖区委开展防汛应急演练。"})
    assert list(item_search(items_visible_to(network.clerk), "东湖区")) == [item]
    assert list(item_search(items_visible_to(network.clerk), "网格员")) == []


# --- ranking ---------------------------------------------------------------------------------------------------


def test_a_title_match_ranks_above_a_body_match():
    in_title = ItemFactory(title="石桥镇开展防汛应急演练", body="全镇干部参加。")
    in_body = ItemFactory(title="某镇工作动态", body="石桥镇开展防汛应急演练，石桥镇干部群众参加，防汛应急物资到位。")
    assert in_body.updated_at > in_title.updated_at
    assert list(item_search(Item.objects.all(), "防汛应急", by_relevance=True)) == [in_title, in_body]


def test_a_whole_word_ranks_above_a_part_of_words():
    # jieba: 东湖区/召开/... makes 东湖区 a word; 东湖/区委/... holds it only across two words.
    whole = ItemFactory(title="某区工作动态", body="东湖区召开防汛工作会议。")
    across = ItemFactory(title="某区工作动态", body="东湖区委办公室推行网格化管理。")
    assert across.updated_at > whole.updated_at
    assert list(item_search(Item.objects.all(), "东湖区", by_relevance=True)) == [whole, across]


def test_a_title_match_across_words_still_ranks_above_a_whole_word_in_the_body():
    in_title = ItemFactory(title="东湖区委办公室推行网格化管理", body="全区设立网格二百余个。")
    in_body = ItemFactory(title="某区工作动态", body="东湖区召开防汛工作会议。")
    assert list(item_search(Item.objects.all(), "东湖区", by_relevance=True)) == [in_title, in_body]


# --- every door: the item list, the API, the editor's inbox ----------------------------------------------------


def ids(items) -> list[int]:
    """The ids of items, or of the item list's rows (dicts of values(), submissions.views.LIST_COLUMNS), in order."""
    return [item["id"] if isinstance(item, dict) else item.pk for item in items]


def test_the_item_list_sorts_a_search_by_relevance_unless_a_sort_is_chosen(client, network, good_item_data):
    in_title = services.item_create(actor=network.clerk, unit=network.county,
                                    data={**good_item_data, "title": "石桥镇开展防汛应急演练", "body": "全镇干部参加。"})
    in_body = services.item_create(actor=network.clerk, unit=network.county,
                                   data={**good_item_data, "title": "某镇工作动态", "body": "石桥镇开展防汛应急演练。"})
    ItemFactory(source_unit=network.county, title="无关", body="无关的内容")
    client.force_login(network.clerk)
    url = reverse("submissions:item_list")
    # a search with no sort chosen: by relevance
    assert ids(client.get(url, {"q": "防汛应急"}).context["page"]) == ids([in_title, in_body])
    # the user's own sort wins
    assert ids(client.get(url, {"q": "防汛应急", "sort": "updated"}).context["page"]) == ids([in_body, in_title])
    # no search: the list's own order, every item
    assert len(client.get(url).context["page"]) == 3


def test_a_search_with_more_matches_than_are_ranked_ranks_the_latest_and_says_there_are_more(
        client, network, good_item_data, monkeypatch):
    # Ranking reads each match's vector: a search ranks its latest SEARCH_RANKED matches (here 2), counts no further
    # ("2+"), and the list sorted by date still pages through every match.
    from submissions import selectors, views

    monkeypatch.setattr(selectors, "SEARCH_RANKED", 2)
    monkeypatch.setattr(views, "LIST_COUNTED", 2)

    def create(title, body):
        return services.item_create(actor=network.clerk, unit=network.county,
                                    data={**good_item_data, "title": title, "body": body})

    oldest = create("某镇工作动态", "石桥镇开展防汛应急演练。")
    in_title = create("石桥镇开展防汛应急演练", "全镇干部参加。")
    latest = create("某镇工作动态", "石桥镇防汛应急物资到位。")
    client.force_login(network.clerk)
    url = reverse("submissions:item_list")
    page = client.get(url, {"q": "防汛应急"}).context["page"]
    assert ids(page) == ids([in_title, latest])  # the latest two, the title match first
    assert page.paginator.count_label == "2+"
    by_date = client.get(url, {"q": "防汛应急", "sort": "oldest"}).context["page"]
    assert ids(by_date) == ids([oldest, in_title]) and by_date.paginator.count_label == "2+"
    assert client.get(url, {"q": "防汛应急", "sort": "oldest", "page": 2}).context["page"].number == 1  # capped
    assert client.get(url).context["page"].paginator.count_label == "2+"
    monkeypatch.setattr(views, "LIST_COUNTED", 3)
    assert client.get(url, {"q": "防汛应急", "sort": "oldest"}).context["page"].paginator.count_label == "3"


def test_the_api_folds_width_and_finds_across_the_segmenters_cut(network, good_item_data):
    item = services.item_create(actor=network.clerk, unit=network.county,
                                data={**good_item_data, "title": "东湖区委办公室推行网格化管理", "body": "全区开通5G基站1200个。"})
    api = APIClient()
    api.force_authenticate(network.clerk)
    for query in ("东湖区", "１２００", "５Ｇ基站"):
        response = api.get("/api/items/", {"q": query})
        assert [row["id"] for row in response.json()["results"]] == [item.pk], query


def test_the_inbox_search_finds_across_the_segmenters_cut(network, good_item_data):
    item = services.item_create(actor=network.clerk, unit=network.county,
                                data={**good_item_data, "title": "受特大暴雨影响，临江市区多处内涝", "body": "转移群众１２００人。"})
    services.item_submit(actor=network.clerk, item=item)
    reviews.signoff_approve(actor=network.director, item=Item.objects.get(pk=item.pk))
    for query, found in (("特大暴雨", True), ("1200", True), ("临江市", True), ("特大暴风", False)):
        hops = inbox_for(network.city_editor, filters={"q": query})
        assert [hop.item_id for hop in hops] == ([item.pk] if found else []), query


# --- the data migration ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("batch", [2000, 2], ids=["in this process", "in worker processes"])
def test_the_migration_recomputes_every_items_vector(monkeypatch, batch):
    # given items indexed the old way (jieba's words only), as before the migration
    connection.cursor().execute("SET CONSTRAINTS ALL IMMEDIATE")  # no CREATE INDEX with deferred checks pending
    migration = importlib.import_module("submissions.migrations.0005_search_bigrams")
    monkeypatch.setattr(migration, "BATCH", batch)
    items = [ItemFactory(title="东湖区委办公室推行网格化管理", body=f"受特大暴雨影响，第{n}号") for n in range(5)]
    with connection.schema_editor(atomic=False) as editor:
        migration.jieba_words(apps, editor)
    assert list(item_search(Item.objects.all(), "东湖区")) == []
    # when
    with connection.schema_editor(atomic=False) as editor:
        migration.bigrams(apps, editor)
    # then
    assert set(item_search(Item.objects.all(), "东湖区")) == set(items)
    assert set(item_search(Item.objects.all(), "特大暴雨")) == set(items)
    assert set(item_search(Item.objects.all(), "第3号")) == {items[3]}
