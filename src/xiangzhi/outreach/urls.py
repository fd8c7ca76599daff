from django.urls import path

from .views import feed, library, public, staff

app_name = "outreach"

urlpatterns = [
    path("inbox/", public.inbox, name="inbox"),
    path("a/<str:token>/", public.delivery, name="delivery"),
    path("a/<str:token>/opened/", public.opened, name="opened"),
    path("media/<int:pk>/", public.answer_media, name="media"),
    path("feed/", feed.my_feed, name="feed"),
    path("answers/<int:pk>/", feed.answer, name="answer"),
    path("library/", library.item_list, name="library"),
    path("library/<int:pk>/", library.item_detail, name="item"),
    path("library/<int:pk>/media/", library.item_media, name="item_media"),
    path("library/<int:pk>/pages/<int:position>/", library.page_image, name="item_page"),
    path("top-ten/", library.top_ten, name="top_ten"),
    path("top-ten/<int:year>/", library.top_ten, name="top_ten_year"),
    path("top-ten/vote/<int:pk>/", library.vote, name="vote"),
    path("staff/library/", library.workbench, name="workbench"),
    path("staff/library/<int:pk>/", library.item_edit, name="item_edit"),
    path("staff/", staff.board, name="board"),
    path("staff/next/", staff.take_next, name="take_next"),
    path("staff/specialities/", staff.specialities, name="specialities"),
    path("staff/rules/", staff.rule_list, name="rules"),
    path("staff/rules/<int:pk>/", staff.rule_edit, name="rule_edit"),
    path("staff/rules/new/", staff.rule_edit, name="rule_new"),
    path("staff/<int:pk>/", staff.alert_detail, name="alert"),
]
