"""Objects of 崇福镇 for the 精准普法 URLs (see tests/jurisdiction.py): a 求助 raised for 崇福镇 by a per-town rule."""

from tests.conftest import CHONGFU
from tests.jurisdiction import register, token_route

token_route("outreach:delivery", "outreach:opened")


def chongfu_alert():
    from xiangzhi.core.models import Region
    from xiangzhi.outreach.models import Alert, AlertRule

    topic = f"劳动{Alert.objects.count()}"  # one active 求助 per topic and scope: a topic of its own each time
    rule = AlertRule.objects.create(name="崇福热点", topic=topic, per_town=True)
    return Alert.objects.create(rule=rule, topic=topic, scope=CHONGFU, region=Region.objects.get(code=CHONGFU))


@register("outreach:alert", "outreach:media")
def chongfu_alert_pk():
    return {"pk": chongfu_alert().pk}


@register("outreach:rule_edit")
def chongfu_rule_pk():
    return {"pk": chongfu_alert().rule_id}


@register("GET /api/v1/outreach/alerts/{alert_id}", "POST /api/v1/outreach/alerts/{alert_id}/claim",
          "POST /api/v1/outreach/alerts/{alert_id}/release")
def chongfu_alert_id():
    return {"alert_id": chongfu_alert().pk}


@register("POST /api/v1/outreach/alerts/{alert_id}/review")
def chongfu_alert_review():
    return {"alert_id": chongfu_alert().pk, "_body": {"approve": True}}


@register("POST /api/v1/outreach/alerts/{alert_id}/answer")
def chongfu_alert_answer():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from xiangzhi.outreach import media

    return {"alert_id": chongfu_alert().pk, "_multipart": {
        "text": "答复", "citations": "民法典-1079", "file": SimpleUploadedFile("a.wav", media.wav_tone(0.5), "audio/wav")}}


# The public side of the library and the 以案释法 Top 10 is the county's: public to read (published items only),
# votes by citizens (tested in tests/outreach/test_library.py and test_top_ten.py).
token_route("outreach:item", "outreach:answer", "outreach:item_media", "outreach:item_page", "outreach:top_ten_year", "outreach:vote",
            "POST /api/v1/outreach/top-ten/nominations/{nomination_id}/vote")


def chongfu_item(kind: str = "case"):
    """A library item of 崇福镇's 司法所 (a draft: the editing side)."""
    from xiangzhi.core.models import Region, User
    from xiangzhi.outreach.models import LibraryItem

    author = User.objects.create(username=f"sfs_cf_author{LibraryItem.objects.count()}")
    return LibraryItem.objects.create(kind=kind, title="崇福镇以案释法", body="正文", topics=["婚姻家庭"],
                                      audiences=["farmers"], tags=",t:婚姻家庭,a:farmers,", created_by=author,
                                      region=Region.objects.get(code=CHONGFU))


@register("outreach:item_edit")
def chongfu_item_pk():
    return {"pk": chongfu_item().pk}


@register("GET /api/v1/outreach/manage/items/{item_id}", "POST /api/v1/outreach/items/{item_id}/publish",
          "POST /api/v1/outreach/items/{item_id}/unpublish")
def chongfu_item_id():
    return {"item_id": chongfu_item().pk}


@register("PATCH /api/v1/outreach/manage/items/{item_id}")
def chongfu_item_edit():
    return {"item_id": chongfu_item().pk, "_body": {"title": "改过的标题"}}


@register("POST /api/v1/outreach/manage/items/{item_id}/media")
def chongfu_item_media():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from xiangzhi.outreach import media

    return {"item_id": chongfu_item("comic").pk,
            "_multipart": {"file": SimpleUploadedFile("p.png", media.png_panel(8, 8), "image/png")}}


@register("POST /api/v1/outreach/manage/nominations/{nomination_id}/jury")
def chongfu_nomination_jury():
    from xiangzhi.outreach.models import Nomination

    return {"nomination_id": Nomination.objects.create(item=chongfu_item(), year=2025).pk, "_body": {"score": 80}}
