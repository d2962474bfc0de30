from django.urls import path

from . import views

app_name = "training"

urlpatterns = [
    path("training/", views.run_list, name="list"),
    path("training/runs/<int:run_id>/", views.run_detail, name="run"),
    path("training/runs/<int:run_id>/cancel/", views.run_cancel, name="run-cancel"),
    path("training/models/", views.model_list, name="models"),
    path("training/models/<int:model_id>/checkpoint/", views.model_download, name="model-download"),
    path("training/models/<int:model_id>/preannotate/", views.model_preannotate, name="model-preannotate"),
    path("training/models/<int:model_id>/live/<int:sequence_id>/", views.model_live, name="model-live"),
    path("training/models/<int:model_id>/live/<int:sequence_id>/stream/", views.model_live_stream,
         name="model-live-stream"),
    path("training/models/<int:model_id>/live/video/<int:video_id>/", views.model_live_video, name="model-live-video"),
    path("training/models/<int:model_id>/live/video/<int:video_id>/stream/", views.model_live_video_stream,
         name="model-live-video-stream"),
    path("training/live-videos/", views.live_video_upload, name="live-video-upload"),
    path("training/live-videos/<int:video_id>/delete/", views.live_video_delete, name="live-video-delete"),
]
