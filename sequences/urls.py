from django.urls import path

from . import views

app_name = "sequences"

# The list, a sequence's page, its status and deletion and the annotation page share this namespace but are the
# review app's pages (review/urls.py): annotator/urls.py includes both lists as ``sequences``.
urlpatterns = [
    path("sequences/import/", views.import_view, name="import"),
]
